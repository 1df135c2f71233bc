import type { Rule } from '../lib/rule.js';
import { cloudtrailInsight } from './cloudtrail-insight.rule.js';
import { cloudtrailTampering } from './cloudtrail-tampering.rule.js';
import { ec2DeniedRunInstances } from './ec2-denied-run-instances.rule.js';
import { ec2RunInstancesErrorInsight } from './ec2-run-instances-error-insight.rule.js';
import { iamUserDeleted } from './iam-user-deleted.rule.js';
import { rootAccountActivity } from './root-account-activity.rule.js';
import { s3BucketMassDelete } from './s3-bucket-mass-delete.rule.js';
import { s3DeleteInsight } from './s3-delete-insight.rule.js';
import { s3MassDelete } from './s3-mass-delete.rule.js';

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
];
