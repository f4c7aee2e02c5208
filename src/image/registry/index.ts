export { type Challenge, parseChallenges } from "./auth.js";
export { type ManifestResponse, RegistryClient, type RegistryClientOptions } from "./client.js";
export { type Credentials, lookupCredentials } from "./credentials.js";
export * from "./media-types.js";
export {
  apiHost,
  formatReference,
  type ImageReference,
  isLoopbackRegistry,
  parseReference,
  referenceTarget,
} from "./reference.js";
export { openRegistryImage, type RegistrySourceOptions } from "./source.js";
