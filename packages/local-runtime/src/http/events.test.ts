import { describe, expect, it } from "vitest";
import {
  type ApiIdentity,
  buildProxyEvent,
  formatRequestTime,
  isTextContentType,
  methodArn,
  type RequestFacts,
} from "./events";

const API: ApiIdentity = {
  stage: "local",
  apiId: "sdplocal00",
  accountId: "000000000000",
  region: "eu-west-1",
};

function facts(overrides: Partial<RequestFacts> = {}): RequestFacts {
  return {
    method: "POST",
    path: "/upload",
    query: "",
    rawHeaders: ["Host", "api.example.org"],
    sourceIp: "203.0.113.9",
    localPort: 443,
    protocol: "HTTP/1.1",
    requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    extendedRequestId: "BQGojGgdIAMFvqQ=",
    receivedAt: new Date(Date.UTC(2025, 2, 7, 4, 5, 6)),
    ...overrides,
  };
}

const MATCH = { resource: "/upload", resourceId: "abc123", pathParameters: null };

describe("API Gateway event builders", () => {
  it("formats requestTime like API Gateway", () => {
    // Act
    const text = formatRequestTime(new Date(Date.UTC(2025, 2, 7, 4, 5, 6)));

    // Assess
    expect(text).toBe("07/Mar/2025:04:05:06 +0000");
  });

  it("builds the method ARN from the request path", () => {
    // Act / Assess
    expect(methodArn(API, "get", "/tenants/valencia")).toBe(
      "arn:aws:execute-api:eu-west-1:000000000000:sdplocal00/local/GET/tenants/valencia",
    );
    expect(methodArn(API, "GET", "/")).toBe(
      "arn:aws:execute-api:eu-west-1:000000000000:sdplocal00/local/GET/",
    );
  });

  it("sends text types as strings and everything else as base64", () => {
    // Act / Assess
    for (const type of [
      "application/json",
      "text/csv; charset=utf-8",
      "application/problem+json",
      "application/xml",
    ]) {
      expect(isTextContentType(type)).toBe(true);
    }
    for (const type of [
      "application/octet-stream",
      "image/png",
      "multipart/form-data; boundary=x",
      "application/pdf",
    ]) {
      expect(isTextContentType(type)).toBe(false);
    }
  });

  it("decides by UTF-8 validity when no content type is sent, and gives null for no body", () => {
    // Act
    const text = buildProxyEvent({ api: API, request: facts(), match: MATCH, body: Buffer.from("plain ñ") });
    const binary = buildProxyEvent({
      api: API,
      request: facts(),
      match: MATCH,
      body: Buffer.from([0xc3, 0x28]),
    });
    const none = buildProxyEvent({ api: API, request: facts(), match: MATCH, body: Buffer.alloc(0) });

    // Assess
    expect([text.body, text.isBase64Encoded]).toEqual(["plain ñ", false]);
    expect([binary.body, binary.isBase64Encoded]).toEqual(["wyg=", true]);
    expect([none.body, none.isBase64Encoded]).toEqual([null, false]);
  });

  it("appends the client to X-Forwarded-For, keeps a client trace id and the first header spelling", () => {
    // Prepare
    const request = facts({
      rawHeaders: [
        "Host",
        "api.example.org",
        "x-forwarded-for",
        "198.51.100.1",
        "X-Amzn-Trace-Id",
        "Root=1-x",
        "X-A",
        "1",
        "x-a",
        "2",
      ],
    });

    // Act
    const event = buildProxyEvent({ api: API, request, match: MATCH, body: null });

    // Assess
    expect(event.headers["x-forwarded-for"]).toBe("198.51.100.1, 203.0.113.9");
    expect(event.headers["X-Amzn-Trace-Id"]).toBe("Root=1-x");
    expect(event.multiValueHeaders["X-A"]).toEqual(["1", "2"]);
    expect(event.headers["X-Forwarded-Port"]).toBe("443");
    expect(event.requestContext.domainName).toBe("api.example.org");
    expect(event.requestContext.domainPrefix).toBe("api");
    expect(event.requestContext.requestTimeEpoch).toBe(Date.UTC(2025, 2, 7, 4, 5, 6));
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });
});
