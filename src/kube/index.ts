// Public surface of the Kubernetes layer: object model, resource registry, selectors, errors, client.
export * from './errors.ts';
export * from './gvk.ts';
export * from './object.ts';
export * from './registry.ts';
export * from './selectors.ts';
export * from './client.ts';
export * from './informer.ts';
