import { DETAIL_TYPES } from '../cloudtrail/types.js';
import { sqlString } from './sql.js';

/**
 * The table the CloudTrail console's "Create Athena table" creates over a trail's bucket: where each
 * EventBridge pattern field lives in it. Column names are the CloudTrail names lowercased.
 */

type Shape = 'string' | 'json' | { struct: Fields } | { array: Fields };
interface Field {
  shape: Shape;
  /** In the current Athena DDL for CloudTrail but not in older console-created tables. */
  newer?: true;
}
type Fields = Record<string, Field>;

const str: Field = { shape: 'string' };
const json: Field = { shape: 'json' };
const newerStr: Field = { shape: 'string', newer: true };

const IDENTITY_ISSUER: Fields = { type: str, principalId: str, arn: str, accountId: str, userName: str };

const DETAIL_FIELDS: Fields = {
  eventVersion: str,
  userIdentity: {
    shape: {
      struct: {
        type: str,
        principalId: str,
        arn: str,
        accountId: str,
        invokedBy: str,
        accessKeyId: str,
        userName: str,
        onBehalfOf: { shape: { struct: { userId: str, identityStoreArn: str } }, newer: true },
        sessionContext: {
          shape: {
            struct: {
              attributes: { shape: { struct: { mfaAuthenticated: str, creationDate: str } } },
              sessionIssuer: { shape: { struct: IDENTITY_ISSUER } },
              ec2RoleDelivery: newerStr,
            },
          },
        },
      },
    },
  },
  eventTime: str,
  eventSource: str,
  eventName: str,
  awsRegion: str,
  sourceIPAddress: str,
  userAgent: str,
  errorCode: str,
  errorMessage: str,
  requestParameters: json,
  responseElements: json,
  additionalEventData: json,
  requestID: str,
  eventID: str,
  resources: { shape: { array: { ARN: str, accountId: str, type: str } } },
  eventType: str,
  apiVersion: str,
  readOnly: str,
  recipientAccountId: str,
  serviceEventDetails: json,
  sharedEventID: str,
  vpcEndpointId: str,
  vpcEndpointAccountId: newerStr,
  eventCategory: newerStr,
  sessionCredentialFromConsole: newerStr,
  edgeDeviceDetails: { shape: 'json', newer: true },
  addendum: {
    shape: { struct: { reason: str, updatedFields: str, originalRequestID: str, originalEventID: str } },
    newer: true,
  },
  tlsDetails: {
    shape: { struct: { tlsVersion: str, cipherSuite: str, clientProvidedHostHeader: str } },
    newer: true,
  },
};

export const INSIGHT_NOTE = 'CloudTrail delivers Insight events under a separate CloudTrail-Insight prefix, so they are not in this table';

/** Where a pattern leaf's value comes from. */
export type Target =
  /** A string-valued SQL expression, NULL when the field is absent. */
  | { kind: 'column'; sql: string }
  /** Any element of an array<struct> column, as `r.<field>` inside a lambda. */
  | { kind: 'array'; array: string; element: string }
  | { kind: 'detail-type' }
  | { kind: 'constant'; value: string }
  | { kind: 'unsupported'; reason: string };

/** `eventtype` values and the detail-types EventBridge gives them; sign-in has two spellings in the wild. */
export const EVENT_TYPE_DETAIL_TYPES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['AwsApiCall', [DETAIL_TYPES.apiCall]],
  ['AwsConsoleSignIn', [DETAIL_TYPES.consoleSignIn, DETAIL_TYPES.consoleSignInDocs]],
  ['AwsConsoleAction', [DETAIL_TYPES.consoleAction]],
  ['AwsServiceEvent', [DETAIL_TYPES.serviceEvent]],
];
export const INSIGHT_EVENT_TYPE = 'AwsCloudTrailInsight';

/** Accumulates caveats in first-seen order, once each. */
export class Caveats {
  private readonly seen = new Set<string>();
  add(text: string): void {
    this.seen.add(text);
  }
  list(): string[] {
    return [...this.seen];
  }
}

const JSON_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A JSON path for json_extract_scalar; keys outside plain identifiers use the quoted bracket form. */
function jsonPath(keys: readonly string[]): string | undefined {
  let path = '$';
  for (const key of keys) {
    if (JSON_KEY.test(key)) path += `.${key}`;
    // Trino's JSON path has no documented escape inside ["..."]: refuse such keys rather than guess.
    else if (/["\\\u0000-\u001f]/.test(key)) return undefined;
    else path += `["${key}"]`;
  }
  return path;
}

function resolveJson(column: string, keys: readonly string[], caveats: Caveats): Target {
  if (keys.length === 0) return { kind: 'column', sql: column };
  const path = jsonPath(keys);
  if (path === undefined) return { kind: 'unsupported', reason: 'a key contains a quote, backslash or control character' };
  caveats.add(
    `${column} is JSON text read with json_extract_scalar, which does not look inside JSON arrays (EventBridge does) ` +
      'and reads a JSON null as missing: a condition on a field inside an array, or anything-but on a null, finds nothing',
  );
  return { kind: 'column', sql: `json_extract_scalar(${column}, ${sqlString(path)})` };
}

function resolveDetail(keys: readonly string[], caveats: Caveats): Target {
  let fields = DETAIL_FIELDS;
  const columns: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (field === undefined) {
      if (i === 0 && key === 'insightDetails') return { kind: 'unsupported', reason: INSIGHT_NOTE };
      return { kind: 'unsupported', reason: 'the CloudTrail table has no such column' };
    }
    columns.push(key.toLowerCase());
    const column = columns.join('.');
    if (field.newer) {
      caveats.add(
        `${column} exists only in tables created with the current Athena DDL for CloudTrail; ` +
          'on an older console-created table Athena fails with "cannot be resolved"',
      );
    }
    const rest = keys.slice(i + 1);
    const shape = field.shape;
    if (shape === 'json') return resolveJson(column, rest, caveats);
    if (shape === 'string') {
      return rest.length === 0 ? { kind: 'column', sql: column } : { kind: 'unsupported', reason: `${column} is a string, not an object` };
    }
    if ('array' in shape) {
      const element = rest.length === 1 && Object.hasOwn(shape.array, rest[0] as string) ? (rest[0] as string) : undefined;
      if (element === undefined) return { kind: 'unsupported', reason: `${column} elements have no such field` };
      return { kind: 'array', array: column, element: `r.${element.toLowerCase()}` };
    }
    if (rest.length === 0) return { kind: 'unsupported', reason: `${column} is an object; EventBridge compares leaf values only` };
    fields = shape.struct;
  }
  return { kind: 'unsupported', reason: 'the pattern compares the whole detail object' };
}

/** Envelope fields, derived from the record: EventBridge builds the envelope from it. */
export function resolve(path: readonly string[], caveats: Caveats): Target {
  const [head, ...rest] = path;
  if (head === 'detail') return resolveDetail(rest, caveats);
  if (rest.length > 0) return { kind: 'unsupported', reason: 'the envelope has no such nested field' };
  switch (head) {
    case 'source':
      // aws.<service> from <service>.amazonaws.com.
      return { kind: 'column', sql: "concat('aws.', split_part(eventsource, '.', 1))" };
    case 'detail-type':
      return { kind: 'detail-type' };
    case 'account':
      return { kind: 'column', sql: 'recipientaccountid' };
    case 'region':
      return { kind: 'column', sql: 'awsregion' };
    case 'time':
      return { kind: 'column', sql: 'eventtime' };
    case 'version':
      return { kind: 'constant', value: '0' };
    default:
      return { kind: 'unsupported', reason: 'EventBridge sets this envelope field itself; the table does not record it' };
  }
}

