import { InitialSchema1764100000000 } from '../../../migrations/1764100000000-initial-schema';
import { FallbackPolicies1764200000000 } from '../../../migrations/1764200000000-fallback-policies';
import { RequestLogIndexes1764300000000 } from '../../../migrations/1764300000000-request-log-indexes';
import { StoredResponses1764400000000 } from '../../../migrations/1764400000000-stored-responses';
import { ModelPrices1764918000000 } from '../../../migrations/1764918000000-model-prices';
import { UnpricedRequestLogIndex1764918000001 } from '../../../migrations/1764918000001-unpriced-request-log-index';
import { HostileInput1764920000000 } from '../../../migrations/1764920000000-hostile-input';
import { ClientRequestIdIndex1764920100000 } from '../../../migrations/1764920100000-client-request-id-index';
import { ChangeNotifications1764930000000 } from '../../../migrations/1764930000000-change-notifications';
import { StoredResponsesJson1765000000000 } from '../../../migrations/1765000000000-stored-responses-json';
import { RequestType1765200000000 } from '../../../migrations/1765200000000-request-type';
import { RequestTypeIndex1765200000001 } from '../../../migrations/1765200000001-request-type-index';
import { StoredItemsNoForeignKey1765300000000 } from '../../../migrations/1765300000000-stored-items-no-foreign-key';
import { StoredResponsesLz41765400000000 } from '../../../migrations/1765400000000-stored-responses-lz4';
import { RequestLogIndexCosts1765500000000 } from '../../../migrations/1765500000000-request-log-index-costs';
import { StoredResponsesText1765600000000 } from '../../../migrations/1765600000000-stored-responses-text';
import { RequestLogAscendingIndexes1765700000000 } from '../../../migrations/1765700000000-request-log-ascending-indexes';
import { FallbackPolicyEntity } from './entities/fallback-policy.entity';
import { ModelPriceEntity } from './entities/model-price.entity';
import { RequestLogDeadLetterEntity } from './entities/request-log-dead-letter.entity';
import { RequestLogEntity } from './entities/request-log.entity';
import { StoredItemEntity } from './entities/stored-item.entity';
import { StoredResponseEntity } from './entities/stored-response.entity';
import { VirtualKeyEntity } from './entities/virtual-key.entity';

// Explicit lists, never globs: bundled builds break globs.
export const ENTITIES = [VirtualKeyEntity, RequestLogEntity, FallbackPolicyEntity, ModelPriceEntity, StoredResponseEntity, StoredItemEntity,
  RequestLogDeadLetterEntity];
export const MIGRATIONS = [InitialSchema1764100000000, FallbackPolicies1764200000000, RequestLogIndexes1764300000000, StoredResponses1764400000000,
  ModelPrices1764918000000, UnpricedRequestLogIndex1764918000001, HostileInput1764920000000, ClientRequestIdIndex1764920100000,
  ChangeNotifications1764930000000, StoredResponsesJson1765000000000, RequestType1765200000000, RequestTypeIndex1765200000001,
  StoredItemsNoForeignKey1765300000000, StoredResponsesLz41765400000000, RequestLogIndexCosts1765500000000,
  StoredResponsesText1765600000000, RequestLogAscendingIndexes1765700000000];
