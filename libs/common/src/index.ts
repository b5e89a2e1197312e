// The public surface of @app/common for other libs and apps; inside this lib import by relative path.
export * from './config/app-config';
export * from './config/config-error';
export * from './pricing/price-spec';
export * from './errors/gateway-error';
export * from './errors/error-text';
export * from './config/config.module';
export * from './lifecycle/shutdown';
export * from './lifecycle/serial-task';
export * from './lifecycle/startup-watchdog';
export * from './governance/budget-period';
export * from './ids/uuidv7';
export * from './ids/request-id';
export * from './ids/random-hex';
export * from './limits/request-limits';
export * from './http/client-errors';
export * from './json/json';
export * from './ids/model-id';
