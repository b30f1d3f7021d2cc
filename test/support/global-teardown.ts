import { rmSync } from 'node:fs';
import { stopTestStack } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const stack = globalThis.__capflowTestStack;
  if (!stack) return;
  await stopTestStack(stack);
  rmSync(stack.dir, { recursive: true, force: true });
}
