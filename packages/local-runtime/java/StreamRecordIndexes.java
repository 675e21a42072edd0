import com.almworks.sqlite4java.SQLiteConnection;
import com.almworks.sqlite4java.SQLiteException;
import com.almworks.sqlite4java.SQLiteStatement;
import java.io.File;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Adds two indexes to DynamoDB Local's SQLite file, then prints the indexes its stream-record table has.
 *
 * DynamoDB Local keeps every table's stream records in one SQLite table keyed by sequence number
 * alone, and answers each GetRecords with two lookups by stream and by shard
 * (MIN(SequenceNumber) WHERE StreamID = ?, and the last SequenceNumber WHERE ShardID = ?). For a shard
 * with no recent records both walk the whole table, under its single database lock: with one busy
 * destination the local platform slowed down as its streams grew (docs/decisions.md). The indexes
 * make both lookups a seek; DynamoDB Local's own statements are unchanged.
 *
 * Run by the local runtime with Java's single-file source launcher, on the sqlite4java jar that ships
 * with DynamoDB Local: `java -cp sqlite4java.jar StreamRecordIndexes.java <database file> <wait ms>`.
 */
public final class StreamRecordIndexes {
  private static final String RECORDS = "us";

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: StreamRecordIndexes <database file> <wait ms>");
      System.exit(2);
    }
    Logger.getLogger("com.almworks.sqlite4java").setLevel(Level.OFF);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[1]);
    SQLiteConnection db = new SQLiteConnection(new File(args[0]));
    try {
      db.open(false);
      // DynamoDB Local holds its lock for the length of one request; ours waits for it.
      db.setBusyTimeout(30_000);
      while (!tableExists(db)) {
        if (System.currentTimeMillis() > deadline) {
          System.err.println("DynamoDB Local has not created its stream-record table");
          System.exit(3);
        }
        Thread.sleep(100);
      }
      db.exec("CREATE INDEX IF NOT EXISTS sdp_stream_records_by_stream ON " + RECORDS + "(StreamID, SequenceNumber)");
      db.exec("CREATE INDEX IF NOT EXISTS sdp_stream_records_by_shard ON " + RECORDS + "(ShardID, SequenceNumber)");
      SQLiteStatement indexes =
          db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name");
      try {
        indexes.bind(1, RECORDS);
        while (indexes.step()) System.out.println(indexes.columnString(0));
      } finally {
        indexes.dispose();
      }
    } finally {
      db.dispose();
    }
  }

  private static boolean tableExists(SQLiteConnection db) throws SQLiteException {
    SQLiteStatement table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    try {
      table.bind(1, RECORDS);
      return table.step();
    } finally {
      table.dispose();
    }
  }
}
