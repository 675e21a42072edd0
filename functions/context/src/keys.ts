/** Names shared by the manifest and the store: the service, its table, key attributes and indexes. */
export const CONTEXT_SERVICE = "context";
/** Purpose of the per-destination table holding the entities (`sdp-<stage>-<tenant>-context-entities`). */
export const ENTITIES_TABLE = "entities";

export const EntityKeys = {
  pk: "pk",
  sk: "sk",
  /** Partition key of the type index: an entity type IRI. */
  typeKey: "tk",
  /** Partition keys of the geo indexes: geohash cells of the entity's location. */
  geoFine: "gf",
  geoCoarse: "gc",
  byType: "byType",
  byGeoFine: "byGeoFine",
  byGeoCoarse: "byGeoCoarse",
} as const;

/**
 * The two levels of the geo index. A point is indexed by its cell at both; a larger geometry by the
 * cells covering its bounding box, at the levels where that takes at most `indexCells` cells.
 */
export const GeoIndex = {
  /** Geohash length of the fine level: cells of about 4.9 km × 4.9 km. */
  finePrecision: 5,
  /** Geohash length of the coarse level: cells of about 156 km × 156 km. */
  coarsePrecision: 3,
  /** Most cells a query reads at one level before moving to the coarser one. */
  queryCells: 32,
  /** Most cells an entity is indexed under at one level. */
  indexCells: 16,
} as const;

/** Purpose of the per-destination table of NGSI-LD subscriptions (`sdp-<stage>-<tenant>-context-subscriptions`). */
export const SUBSCRIPTIONS_TABLE = "subscriptions";
/** Purpose of the platform table listing every periodic subscription's next run, across destinations. */
export const SUBSCRIPTION_TIMERS_TABLE = "subscription-timers";

export const SubscriptionKeys = {
  pk: "pk",
  sk: "sk",
  /**
   * Partition key of `byWatchedType`: an entity type IRI a subscription may match (its index items),
   * `*` for subscriptions that name no type, and `@all` on every subscription item (the listing).
   */
  watchedType: "wt",
  byWatchedType: "byWatchedType",
} as const;

export const TimerKeys = {
  /** The destination. */
  pk: "pk",
  /** The subscription id. */
  sk: "sk",
} as const;
