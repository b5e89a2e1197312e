import { InitialSchema1764100000000 } from '../../../migrations/1764100000000-initial-schema';
import { FallbackPolicies1764200000000 } from '../../../migrations/1764200000000-fallback-policies';
import { RequestLogIndexes1764300000000 } from '../../../migrations/1764300000000-request-log-indexes';
import { StoredResponses1764400000000 } from '../../../migrations/1764400000000-stored-responses';
import { HostileInput1764512000000 } from '../../../migrations/1764512000000-hostile-input';
import { ClientRequestIdIndex1764512100000 } from '../../../migrations/1764512100000-client-request-id-index';
import { FallbackPolicyEntity } from './entities/fallback-policy.entity';
import { RequestLogEntity } from './entities/request-log.entity';
import { VirtualKeyEntity } from './entities/virtual-key.entity';

// Explicit lists, never globs: bundled builds break globs.
export const ENTITIES = [VirtualKeyEntity, RequestLogEntity, FallbackPolicyEntity];
export const MIGRATIONS = [InitialSchema1764100000000, FallbackPolicies1764200000000, RequestLogIndexes1764300000000, StoredResponses1764400000000, HostileInput1764512000000, ClientRequestIdIndex1764512100000];
