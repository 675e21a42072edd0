import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { assertJavaAvailable, dynamoDbLocalJar, JavaMissingError } from "./dynamodb-local";

describe("DynamoDB Local launcher", () => {
  const savedPath = process.env.PATH;
  afterEach(() => {
    process.env.PATH = savedPath;
  });

  it("finds the AWS jar inside the installed npm package, with no download", () => {
    expect(existsSync(dynamoDbLocalJar())).toBe(true);
  });

  it("explains how to install Java when it is missing", () => {
    // Prepare
    process.env.PATH = "/nonexistent";
    // Act
    const attempt = () => assertJavaAvailable();
    // Assess
    expect(attempt).toThrow(JavaMissingError);
    expect(attempt).toThrow(/apt-get install openjdk-17-jre-headless/);
  });
});
