import { describe, expect, it } from "vitest";
import { decodeAck, decodeJson, decodeUltraLight, encodeCommand, PayloadError } from "../src/domain/payloads";

describe("the UltraLight 2.0 decoder", () => {
  it("reads key|value pairs as one measure group of text values", () => {
    // Act
    const groups = decodeUltraLight("c|12|b|0.87");
    // Assess
    expect(groups).toEqual([
      {
        values: [
          ["c", { kind: "text", text: "12" }],
          ["b", { kind: "text", text: "0.87" }],
        ],
      },
    ]);
  });

  it("splits groups on # and reads a leading timestamp or TimeInstant, normalised to UTC", () => {
    // Act
    const groups = decodeUltraLight("2024-07-01T12:00:00+02:00|c|5#c|6|TimeInstant|2024-07-01T10:05:00Z\n");
    // Assess
    expect(groups.map((group) => group.observedAt)).toEqual([
      "2024-07-01T10:00:00.000Z",
      "2024-07-01T10:05:00.000Z",
    ]);
    expect(groups.map((group) => group.values)).toEqual([
      [["c", { kind: "text", text: "5" }]],
      [["c", { kind: "text", text: "6" }]],
    ]);
  });

  it.each([
    ["an empty payload", "   "],
    ["an odd field count without a timestamp", "c|12|b"],
    ["a key without a value", "c|"],
    ["an empty group", "c|1##c|2"],
    ["a timestamp without a zone", "2024-07-01T10:00:00|c|1"],
    ["a key with a forbidden character", "c c|1"],
    ["only a timestamp", "2024-07-01T10:00:00Z"],
  ])("refuses %s", (_label, payload) => {
    // Act
    const attempt = () => decodeUltraLight(payload);
    // Assess
    expect(attempt).toThrow(PayloadError);
  });

  it("refuses more than 100 groups", () => {
    // Prepare
    const payload = Array.from({ length: 101 }, (_, index) => `c|${index}`).join("#");
    // Act
    const attempt = () => decodeUltraLight(payload);
    // Assess
    expect(attempt).toThrow(/more than 100/);
  });
});

describe("the JSON decoder", () => {
  it("reads an object as one group, keeping JSON values and TimeInstant as the timestamp", () => {
    // Act
    const groups = decodeJson('{"pm10": 21.5, "ok": true, "TimeInstant": "2024-07-01T10:00:00Z"}');
    // Assess
    expect(groups).toEqual([
      {
        observedAt: "2024-07-01T10:00:00.000Z",
        values: [
          ["pm10", { kind: "json", value: 21.5 }],
          ["ok", { kind: "json", value: true }],
        ],
      },
    ]);
  });

  it("reads an array of objects as several groups", () => {
    // Act
    const groups = decodeJson('[{"c": 1}, {"c": 2}]');
    // Assess
    expect(groups).toHaveLength(2);
  });

  it.each([
    ["text that is not JSON", "c|12"],
    ["a JSON number", "42"],
    ["an empty array", "[]"],
    ["an object without measures", '{"TimeInstant": "2024-07-01T10:00:00Z"}'],
    ["a null value", '{"c": null}'],
    ["a TimeInstant that is not a date", '{"c": 1, "TimeInstant": "yesterday"}'],
    ["an array holding a string", '["c"]'],
  ])("refuses %s", (_label, payload) => {
    // Act
    const attempt = () => decodeJson(payload);
    // Assess
    expect(attempt).toThrow(PayloadError);
  });
});

describe("commands and acknowledgements", () => {
  it("encodes a command as UltraLight <device>@<command>|<params> or as JSON", () => {
    // Prepare
    const command = { commandId: "01J0000000000000000000000A", command: "setLevel", params: 3 };
    // Act
    const ul = encodeCommand("ul2", "barrier-1", command);
    const json = encodeCommand("json", "barrier-1", command);
    // Assess
    expect(ul).toBe("barrier-1@setLevel|3");
    expect(JSON.parse(json)).toEqual(command);
  });

  it("reads an UltraLight acknowledgement's result and a JSON one as JSON", () => {
    // Act
    const ul = decodeAck("ul2", Buffer.from("barrier-1@open|OK"));
    const json = decodeAck("json", Buffer.from('{"status":"done"}'));
    const text = decodeAck("json", Buffer.from("done"));
    // Assess
    expect([ul, json, text]).toEqual(["OK", { status: "done" }, "done"]);
  });
});
