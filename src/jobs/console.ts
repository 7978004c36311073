import type { Router } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { redactDeep } from '../redact';
import type { JobQueues } from './queues';

/**
 * The operator's queue console (bull-board) over every workflow queue. Job data holds ids only by
 * design; the console still passes data and return values through the redaction module, so a
 * mistake elsewhere never shows a secret on screen. Mount it behind the operator's credentials.
 */
export function queueConsoleRouter(jobs: JobQueues, basePath: string, secrets: readonly string[] = []): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  const adapters = jobs.all().map((q) => {
    const a = new BullMQAdapter(q, { allowRetries: true, description: `jobs of the ${q.name} workflow (data: ids only)` });
    a.setFormatter('data', (data: unknown) => redactDeep(data, secrets));
    a.setFormatter('returnValue', (data: unknown) => redactDeep(data, secrets));
    return a;
  });
  createBullBoard({ queues: adapters, serverAdapter, options: { uiConfig: { boardTitle: 'anypoint-api-gateway' } } });
  return serverAdapter.getRouter() as Router;
}
