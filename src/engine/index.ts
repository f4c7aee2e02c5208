export { EngineApiError, EngineClient, type EngineVersion, MAX_API, MIN_API, readAll } from "./client.js";
export {
  defaultSockets,
  type EndpointLookup,
  type EngineEndpoint,
  parseEngineUrl,
  resolveEngineEndpoint,
} from "./endpoint.js";
