/** Helpers shared by the Kinesis and DynamoDB Streams adapters. */

/** The account the local runtime reports in ARNs, as the Lambda context does. */
export const LOCAL_ACCOUNT_ID = "000000000000";

export function functionArn(region: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
}

/** Lambda puts the function's execution role into Kinesis records as `invokeIdentityArn`. */
export function invokeIdentityArn(functionName: string): string {
  return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${functionName}`;
}

export function required<T>(value: T | undefined | null, field: string): T {
  if (value === undefined || value === null) throw new Error(`Stream response is missing ${field}`);
  return value;
}

export function errorNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

export function eventSizeBytes(event: unknown): number {
  return Buffer.byteLength(JSON.stringify(event), "utf8");
}
