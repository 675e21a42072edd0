import core from "../../contexts/ngsi-ld-core-context-v1.8.json" with { type: "json" };
import cpsvAp from "../../contexts/smart-data-models/dataModel.CPSV-AP.json" with { type: "json" };
import environment from "../../contexts/smart-data-models/dataModel.Environment.json" with { type: "json" };
import kpi from "../../contexts/smart-data-models/dataModel.KeyPerformanceIndicator.json" with {
  type: "json",
};
import parking from "../../contexts/smart-data-models/dataModel.Parking.json" with { type: "json" };
import pointOfInterest from "../../contexts/smart-data-models/dataModel.PointOfInterest.json" with {
  type: "json",
};
import queueManagement from "../../contexts/smart-data-models/dataModel.QueueManagement.json" with {
  type: "json",
};
import tourismDestinations from "../../contexts/smart-data-models/dataModel.TourismDestinations.json" with {
  type: "json",
};
import transportation from "../../contexts/smart-data-models/dataModel.Transportation.json" with {
  type: "json",
};
import wasteManagement from "../../contexts/smart-data-models/dataModel.WasteManagement.json" with {
  type: "json",
};
import weather from "../../contexts/smart-data-models/dataModel.Weather.json" with { type: "json" };
import { isCoreContextUrl } from "../domain/contexts";
import type { ContextLoader } from "../domain/jsonld";

/**
 * @context documents shipped with the broker (see contexts/NOTICE.md), found by the URLs clients use
 * for them. The broker never fetches a context from the network: in AWS a function reaching arbitrary
 * URLs would be an SSRF and latency risk, and these machines have no network at all.
 */
const SMART_DATA_MODELS: Record<string, unknown> = {
  "dataModel.CPSV-AP": cpsvAp,
  "dataModel.Environment": environment,
  "dataModel.KeyPerformanceIndicator": kpi,
  "dataModel.Parking": parking,
  "dataModel.PointOfInterest": pointOfInterest,
  "dataModel.QueueManagement": queueManagement,
  "dataModel.TourismDestinations": tourismDestinations,
  "dataModel.Transportation": transportation,
  "dataModel.WasteManagement": wasteManagement,
  "dataModel.Weather": weather,
};

/** Both places Smart Data Models publishes a subject's context: GitHub Pages and the raw repository. */
const SMART_DATA_MODELS_URL =
  /^https:\/\/(?:smart-data-models\.github\.io\/(dataModel\.[A-Za-z-]+)|raw\.githubusercontent\.com\/smart-data-models\/(dataModel\.[A-Za-z-]+)\/(?:master|main))\/context\.jsonld$/;

export function bundledContextUrls(): string[] {
  return Object.keys(SMART_DATA_MODELS).flatMap((subject) => [
    `https://smart-data-models.github.io/${subject}/context.jsonld`,
    `https://raw.githubusercontent.com/smart-data-models/${subject}/master/context.jsonld`,
  ]);
}

export const bundledContextLoader: ContextLoader = async (url) => {
  if (isCoreContextUrl(url)) return core;
  const match = SMART_DATA_MODELS_URL.exec(url);
  const subject = match?.[1] ?? match?.[2];
  return subject === undefined ? undefined : SMART_DATA_MODELS[subject];
};
