import { Injectable } from '@nestjs/common';
import { Store, type ApiKeyRecord } from '@aoe/store';
import { hashSecret, newApiKey } from '../../auth/api-key-secrets';
import { CreateApiKeyCommand } from './create-api-key.command';

export type ApiKeyView = Omit<ApiKeyRecord, 'secretHash'>;

export function viewOf({ secretHash: _hash, ...key }: ApiKeyRecord): ApiKeyView {
  return key;
}

/**
 * Makes a random API key and stores only its hash. The key is in the answer
 * once and nowhere else. The CLI runs this use case (`aoe admin api-key create`).
 */
@Injectable()
export class CreateApiKeyUseCase {
  constructor(private readonly store: Store) {}

  async execute(input: CreateApiKeyCommand): Promise<ApiKeyView & { key: string }> {
    const command = CreateApiKeyCommand.parse(input);
    const { id, secret, key } = newApiKey();
    const record = await this.store.apiKeys.create({
      id,
      name: command.name,
      scope: command.scope,
      secretHash: hashSecret(secret),
      createdBy: command.createdBy,
    });
    return { ...viewOf(record), key };
  }
}
