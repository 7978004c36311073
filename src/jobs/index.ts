/** The only BullMQ code of the service: queues, job ids, delays, workers, the sweeper, the console's adapters. */
export * from './queues';
export * from './workers';
export * from './sweeper';
export * from './console';
export * from './traffic';
