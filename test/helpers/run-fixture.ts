// Runs a script of test/fixtures in a child Node process and collects its exit code and
// output: for what only a separate process can show (it exits by itself, it crashes, it
// prints an uncaught error).
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

export interface FixtureRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** guardMs: the child is killed (SIGKILL, code null) if it has not exited by then: a hang
 *  guard only, for a process that should exit by itself. */
export function runFixture(fixture: string, args: string[], guardMs = 30_000): Promise<FixtureRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'test', 'fixtures', fixture), ...args], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    const guard = setTimeout(() => child.kill('SIGKILL'), guardMs);
    child.on('close', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr }); });
  });
}
