import type { Rule } from '../lib/detection/rule.js';
import { cloudtrailInsight } from './cloudtrail-insight.rule.js';
import { cloudtrailTampering } from './cloudtrail-tampering.rule.js';
import { ec2DeniedRunInstances } from './ec2-denied-run-instances.rule.js';
import { ec2RunInstancesErrorInsight } from './ec2-run-instances-error-insight.rule.js';
import { iamUserDeleted } from './iam-user-deleted.rule.js';
import { rootAccountActivity } from './root-account-activity.rule.js';
import { s3BucketMassDelete } from './s3-bucket-mass-delete.rule.js';
import { s3DeleteInsight } from './s3-delete-insight.rule.js';
import { s3MassDelete } from './s3-mass-delete.rule.js';
// Data, compute and credential access (issue 7, rules-data)
import { ebsEncryptionByDefaultDisabled } from './ebs-encryption-by-default-disabled.rule.js';
import { ec2AmiShared } from './ec2-ami-shared.rule.js';
import { ec2InstanceConnectKeyPushed } from './ec2-instance-connect-key-pushed.rule.js';
import { ec2InstanceCredentialsWhoami } from './ec2-instance-credentials-whoami.rule.js';
import { ec2PasswordDataRead } from './ec2-password-data-read.rule.js';
import { ec2SerialConsoleAccess } from './ec2-serial-console-access.rule.js';
import { ec2SnapshotShared } from './ec2-snapshot-shared.rule.js';
import { ec2UnusualInstanceType } from './ec2-unusual-instance-type.rule.js';
import { ec2UserDataBulkRead } from './ec2-user-data-bulk-read.rule.js';
import { ec2UserDataModified } from './ec2-user-data-modified.rule.js';
import { rdsInstanceMadePublic } from './rds-instance-made-public.rule.js';
import { rdsSnapshotShared } from './rds-snapshot-shared.rule.js';
import { secretsmanagerBatchRead } from './secretsmanager-batch-read.rule.js';
import { secretsmanagerSecretBulkRead } from './secretsmanager-secret-bulk-read.rule.js';
import { ssmParameterBulkDecrypt } from './ssm-parameter-bulk-decrypt.rule.js';
import { ssmSendCommand } from './ssm-send-command.rule.js';
import { ssmStartSession } from './ssm-start-session.rule.js';
// Identity, authentication and organisation (issue 7)
import { consoleLoginFailures } from './console-login-failures.rule.js';
import { consoleLoginWithoutMfa } from './console-login-without-mfa.rule.js';
import { iamAccessKeyForOtherUser } from './iam-access-key-for-other-user.rule.js';
import { iamAdminPolicyAttached } from './iam-admin-policy-attached.rule.js';
import { iamIdentityProviderChanged } from './iam-identity-provider-changed.rule.js';
import { iamLoginProfileForOtherUser } from './iam-login-profile-for-other-user.rule.js';
import { iamMfaDeviceRemoved } from './iam-mfa-device-removed.rule.js';
import { iamNewUserWithCredentials } from './iam-new-user-with-credentials.rule.js';
import { iamPasswordPolicyWeakened } from './iam-password-policy-weakened.rule.js';
import { iamPolicyChange } from './iam-policy-change.rule.js';
import { iamRoleTrustExternalAccount } from './iam-role-trust-external-account.rule.js';
import { iamRoleTrustPublic } from './iam-role-trust-public.rule.js';
import { organizationsChange } from './organizations-change.rule.js';
import { organizationsLeave } from './organizations-leave.rule.js';
import { rolesanywhereTrustAnchorCreated } from './rolesanywhere-trust-anchor-created.rule.js';
import { rootAccessKeyCreated } from './root-access-key-created.rule.js';
import { rootConsoleSignIn } from './root-console-sign-in.rule.js';
import { stsFederationToken } from './sts-federation-token.rule.js';
import { unauthorizedApiCalls } from './unauthorized-api-calls.rule.js';
import { s3BucketPolicyChanged } from './s3-bucket-policy-changed.rule.js';
import { s3BucketProtectionRemoved } from './s3-bucket-protection-removed.rule.js';
import { s3PublicAccessBlockRemoved } from './s3-public-access-block-removed.rule.js';

// Logging, defenses, network, KMS, Config, GuardDuty, Lambda, Bedrock (rules-infra).
import { adminPortOpenToInternet } from './admin-port-open-to-internet.rule.js';
import { bedrockFirstInvocation } from './bedrock-first-invocation.rule.js';
import { bedrockInvocationLoggingDeleted } from './bedrock-invocation-logging-deleted.rule.js';
import { bedrockModelAccessEnabled } from './bedrock-model-access-enabled.rule.js';
import { cloudtrailConfigChanged } from './cloudtrail-config-changed.rule.js';
import { configChanged } from './config-changed.rule.js';
import { configRecordingStopped } from './config-recording-stopped.rule.js';
import { dnsQueryLoggingDeleted } from './dns-query-logging-deleted.rule.js';
import { guarddutyDisabled } from './guardduty-disabled.rule.js';
import { guarddutyFindingsSuppressed } from './guardduty-findings-suppressed.rule.js';
import { kmsKeyDisabledOrDeleted } from './kms-key-disabled-or-deleted.rule.js';
import { lambdaCodeOverwritten } from './lambda-code-overwritten.rule.js';
import { lambdaFunctionPublic } from './lambda-function-public.rule.js';
import { lambdaLayerAdded } from './lambda-layer-added.rule.js';
import { networkAclChanged } from './network-acl-changed.rule.js';
import { networkGatewayChanged } from './network-gateway-changed.rule.js';
import { portOpenToInternet } from './port-open-to-internet.rule.js';
import { routeTableChanged } from './route-table-changed.rule.js';
import { securityGroupChanged } from './security-group-changed.rule.js';
import { vpcChanged } from './vpc-changed.rule.js';
import { vpcFlowLogsDeleted } from './vpc-flow-logs-deleted.rule.js';
import { trailwatchTampered } from './trailwatch-tampered.rule.js';

/** Every detection, explicitly: adding a rule means adding it here (no registration by import). */
export const rules: readonly Rule[] = [
  cloudtrailTampering,
  iamUserDeleted,
  rootAccountActivity,
  cloudtrailInsight,
  s3MassDelete,
  s3BucketMassDelete,
  s3DeleteInsight,
  ec2DeniedRunInstances,
  ec2RunInstancesErrorInsight,
  // Data, compute and credential access
  ebsEncryptionByDefaultDisabled,
  ec2AmiShared,
  ec2InstanceConnectKeyPushed,
  ec2InstanceCredentialsWhoami,
  ec2PasswordDataRead,
  ec2SerialConsoleAccess,
  ec2SnapshotShared,
  ec2UnusualInstanceType,
  ec2UserDataBulkRead,
  ec2UserDataModified,
  rdsInstanceMadePublic,
  rdsSnapshotShared,
  secretsmanagerBatchRead,
  secretsmanagerSecretBulkRead,
  ssmParameterBulkDecrypt,
  ssmSendCommand,
  ssmStartSession,
  s3BucketPolicyChanged,
  s3BucketProtectionRemoved,
  s3PublicAccessBlockRemoved,
  // Logging and defenses, network, KMS, Config, GuardDuty, Lambda, Bedrock.
  cloudtrailConfigChanged,
  trailwatchTampered,
  kmsKeyDisabledOrDeleted,
  configChanged,
  configRecordingStopped,
  guarddutyDisabled,
  guarddutyFindingsSuppressed,
  vpcFlowLogsDeleted,
  dnsQueryLoggingDeleted,
  securityGroupChanged,
  networkAclChanged,
  networkGatewayChanged,
  routeTableChanged,
  vpcChanged,
  adminPortOpenToInternet,
  portOpenToInternet,
  lambdaFunctionPublic,
  lambdaCodeOverwritten,
  lambdaLayerAdded,
  bedrockModelAccessEnabled,
  bedrockFirstInvocation,
  bedrockInvocationLoggingDeleted,
  // Identity, authentication and organisation
  rootConsoleSignIn,
  rootAccessKeyCreated,
  consoleLoginWithoutMfa,
  consoleLoginFailures,
  unauthorizedApiCalls,
  iamPolicyChange,
  iamAdminPolicyAttached,
  iamAccessKeyForOtherUser,
  iamLoginProfileForOtherUser,
  iamNewUserWithCredentials,
  iamRoleTrustPublic,
  iamRoleTrustExternalAccount,
  iamMfaDeviceRemoved,
  iamPasswordPolicyWeakened,
  iamIdentityProviderChanged,
  stsFederationToken,
  rolesanywhereTrustAnchorCreated,
  organizationsChange,
  organizationsLeave,
];
