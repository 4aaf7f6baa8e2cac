export * from './gateway.module';
export { GatewayConfig } from './config/gateway.config';
export { CreateApiKeyUseCase } from './usecases/create-api-key/create-api-key.usecase';
export { RevokeApiKeyUseCase } from './usecases/revoke-api-key/revoke-api-key.usecase';
export { ListApiKeysUseCase } from './usecases/list-api-keys/list-api-keys.usecase';
export { buildOpenApiDocument } from './openapi/openapi.document';
