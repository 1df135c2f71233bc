/**
 * CloudTrail shapes as they reach us. Every field is optional and every string is attacker-chosen
 * (whoever makes an API call chooses them): these types describe what we read, `lib/cloudtrail/envelope.ts` checks
 * the few fields rules rely on before anything reads them.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The detail-types CloudTrail uses on the default bus. Sign-in has two spellings in the wild. */
export const DETAIL_TYPES = {
  apiCall: 'AWS API Call via CloudTrail',
  consoleSignIn: 'AWS Console Sign In via CloudTrail',
  consoleSignInDocs: 'AWS Console Signin via CloudTrail',
  consoleAction: 'AWS Console Action via CloudTrail',
  serviceEvent: 'AWS Service Event via CloudTrail',
  insight: 'AWS Insight via CloudTrail',
} as const;

export type DetailType = (typeof DETAIL_TYPES)[keyof typeof DETAIL_TYPES];
export const ALL_DETAIL_TYPES: readonly DetailType[] = Object.values(DETAIL_TYPES);

export interface UserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: {
    sessionIssuer?: { type?: string; principalId?: string; arn?: string; accountId?: string; userName?: string };
    attributes?: { creationDate?: string; mfaAuthenticated?: string };
    sourceIdentity?: string;
  };
  onBehalfOf?: { userId?: string; identityStoreArn?: string };
  [key: string]: unknown;
}

export interface InsightDetails {
  state?: string;
  eventSource?: string;
  eventName?: string;
  insightType?: string;
  errorCode?: string;
  insightContext?: {
    statistics?: {
      baseline?: { average?: number };
      insight?: { average?: number };
      insightDuration?: number;
      baselineDuration?: number;
    };
    attributions?: Array<{
      attribute?: string;
      insight?: Array<{ value?: string; average?: number }>;
      baseline?: Array<{ value?: string; average?: number }>;
    }>;
  };
  [key: string]: unknown;
}

/** One CloudTrail record: the `detail` of an EventBridge event, or one entry of a log file's `Records`. */
export interface CloudTrailRecord {
  eventVersion?: string;
  eventID?: string;
  eventTime?: string;
  eventSource?: string;
  eventName?: string;
  eventType?: string;
  eventCategory?: string;
  awsRegion?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  userIdentity?: UserIdentity;
  requestParameters?: Json;
  responseElements?: Json;
  additionalEventData?: Json;
  errorCode?: string;
  errorMessage?: string;
  readOnly?: boolean;
  managementEvent?: boolean;
  recipientAccountId?: string;
  sharedEventID?: string;
  insightDetails?: InsightDetails;
  resources?: Json;
  [key: string]: unknown;
}

/** The envelope EventBridge delivers to a target. */
export interface EventBridgeEnvelope<D = CloudTrailRecord> {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: D;
}

export type TrailEvent = EventBridgeEnvelope<CloudTrailRecord>;
