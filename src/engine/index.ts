export {
  containerTop,
  engineInfo,
  imageHistory,
  inspectContainer,
  inspectImage,
  listContainers,
  listImages,
  mapLimit,
} from "./api.js";
export { EngineApiError, EngineClient, type EngineVersion, MAX_API, MIN_API, readAll } from "./client.js";
export {
  defaultSockets,
  type EndpointLookup,
  type EngineEndpoint,
  parseEngineUrl,
  resolveEngineEndpoint,
} from "./endpoint.js";
export type * from "./types.js";
