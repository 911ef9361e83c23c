// Campaign files: language, validation, evaluation, arbitration and rendering. Pure; no AWS imports.
export {
  type CompiledCampaign,
  type CompiledSegment,
  compileCampaign,
  evaluateRule,
  isLive,
  matchSegment,
  offerExpiresOn,
} from './compile.js';
export {
  bucketOf,
  type ChosenCampaign,
  type Decision,
  type DecisionContext,
  type DecisionOutcome,
  decide,
  holdoutBucket,
  inGlobalControl,
  isHeldOut,
  type LoserReason,
} from './decide.js';
export { type CampaignChange, diffCampaigns } from './diff.js';
export { type RenderedOffer, renderOffer, senderDisplayName } from './render.js';
export {
  type AudienceRule,
  type Campaign,
  type CampaignOffer,
  type CampaignSegment,
  type CampaignStatus,
  campaignJsonSchema,
} from './schema.js';
export type { Footer } from './templates.js';
export {
  type CampaignError,
  formatCampaignError,
  type ValidateOptions,
  type ValidationResult,
  validateCampaign,
  validateCampaignSource,
} from './validate.js';
export { type AudienceSubject, FIELDS, SIGNAL_TYPES, TEMPLATE_VARIABLES } from './vocabulary.js';
