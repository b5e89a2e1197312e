import { Controller } from '@nestjs/common';
import { ReadinessController } from '@app/database';

/** GET /health (alive) and GET /ready (database reachable). */
@Controller()
export class HealthController extends ReadinessController {}
