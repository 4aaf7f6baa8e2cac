import { Injectable } from '@nestjs/common';
import { Store, type Page } from '@aoe/store';
import { viewOf, type ApiKeyView } from '../create-api-key/create-api-key.usecase';
import { ListApiKeysCommand } from './list-api-keys.command';

@Injectable()
export class ListApiKeysUseCase {
  constructor(private readonly store: Store) {}

  async execute(input: ListApiKeysCommand): Promise<Page<ApiKeyView>> {
    const page = await this.store.apiKeys.list(ListApiKeysCommand.parse(input));
    return { items: page.items.map(viewOf), nextCursor: page.nextCursor };
  }
}
