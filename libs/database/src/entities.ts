import { InitialSchema1764100000000 } from '../../../migrations/1764100000000-initial-schema';
import { FallbackPolicies1764200000000 } from '../../../migrations/1764200000000-fallback-policies';
import { RequestLogIndexes1764300000000 } from '../../../migrations/1764300000000-request-log-indexes';
import { StoredResponses1764400000000 } from '../../../migrations/1764400000000-stored-responses';
import { ChangeNotifications1764513000000 } from '../../../migrations/1764513000000-change-notifications';
import { FallbackPolicyEntity } from './entities/fallback-policy.entity';
import { RequestLogEntity } from './entities/request-log.entity';
import { VirtualKeyEntity } from './entities/virtual-key.entity';

// Explicit lists, never globs: bundled builds break globs.
export const ENTITIES = [VirtualKeyEntity, RequestLogEntity, FallbackPolicyEntity];
export const MIGRATIONS = [InitialSchema1764100000000, FallbackPolicies1764200000000, RequestLogIndexes1764300000000, StoredResponses1764400000000, ChangeNotifications1764513000000];
