import { Injectable } from '@nestjs/common';
import { NotFoundError, Store } from '@aoe/store';
import { AccessControl } from '../../auth/access-control';
import { viewOf, type ApiKeyView } from '../create-api-key/create-api-key.usecase';
import { RevokeApiKeyCommand } from './revoke-api-key.command';

/** Revokes a key for good; this replica forgets it at once, others within the key cache time. */
@Injectable()
export class RevokeApiKeyUseCase {
  constructor(
    private readonly store: Store,
    private readonly access: AccessControl,
  ) {}

  async execute(input: RevokeApiKeyCommand): Promise<ApiKeyView> {
    const { id } = RevokeApiKeyCommand.parse(input);
    const record = await this.store.apiKeys.revoke(id);
    if (!record) throw new NotFoundError('api key', id);
    this.access.forget(id);
    return viewOf(record);
  }
}
