// The API docs (typedoc): entry points named by their import path, the faces first, a landing
// page of their own, and an @example on every public class and function, each of which
// type-checks as an application of its own against the built package.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const entries = [['netstack-websocket', 'lib/index.ts'], ['netstack-websocket/native', 'lib/native.ts']] as const;

interface Documented {
  name: string;
  examples: string[];
}

/** Every public class and function (also inside exported namespaces), with its @example texts. */
function publicValues(): Documented[] {
  const program = ts.createProgram(entries.map(([, file]) => path.join(root, file)), {
    strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, types: ['node'],
    typeRoots: [path.join(root, 'node_modules', '@types')],
  });
  const checker = program.getTypeChecker();
  const found: Documented[] = [];
  const visit = (exports: ts.Symbol[], prefix: string) => {
    for (const exported of exports) {
      if (exported.name === 'default') continue;
      const typeOnly = (exported.declarations ?? []).every((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
      if (typeOnly) continue;
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
      if (!declaration) continue;
      if (ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === 'internal')) continue;
      const name = `${prefix}${exported.name}`;
      if (symbol.flags & ts.SymbolFlags.ValueModule) {
        visit(checker.getExportsOfModule(symbol), `${name}.`);
        continue;
      }
      const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
      const callable = type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0;
      if (!(symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Function)) && !callable) continue;
      // The comment of the export itself (e.g. a released name) or of what it exports.
      const tags = [...ts.getJSDocTags(declaration), ...(exported.declarations ?? []).flatMap((d) => [...ts.getJSDocTags(d)])];
      const examples = tags.filter((tag) => tag.tagName.text === 'example')
        .map((tag) => ts.getTextOfJSDocComment(tag.comment) ?? '');
      found.push({ name, examples: [...new Set(examples)] });
    }
  };
  for (const [, file] of entries) {
    const source = program.getSourceFile(path.join(root, file))!;
    visit(checker.getExportsOfModule(checker.getSymbolAtLocation(source)!), '');
  }
  return found;
}

describe('API docs', () => {
  const values = publicValues();

  test('every public class and function has an @example', () => {
    expect(values.length).toBeGreaterThan(30);
    expect(values.filter((v) => v.examples.length === 0).map((v) => v.name)).toEqual([]);
  });

  test('every @example type-checks as an application of its own (strict, node16)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-ws-examples-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.symlinkSync(root, path.join(dir, 'node_modules', 'netstack-websocket'), 'dir');
      const files: string[] = [];
      for (const { name, examples } of values) {
        examples.forEach((example, i) => {
          const code = /```(?:ts|js)?\n([^]*?)```/.exec(example)?.[1];
          expect(code, `${name}: an @example holds a fenced ts block`).toBeDefined();
          const file = `${name.replace(/\W/g, '_')}_${i}.mts`;
          fs.writeFileSync(path.join(dir, file), `${code}\nexport {};\n`);
          files.push(file);
        });
      }
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
        compilerOptions: {
          module: 'node16', moduleResolution: 'node16', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false,
          noUnusedLocals: false, types: ['node'], typeRoots: [path.join(root, 'node_modules', '@types')],
        },
        files,
      }));
      const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await run(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { cwd: dir, timeout: 120000 })
        .then(() => '', (err: { stdout?: string }) => err.stdout ?? String(err));
      expect(result).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120000);

  test('typedoc: modules named by import path, the faces first, a landing page of their own', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'netstack-ws-typedoc-'));
    try {
      const typedoc = path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
      await run(process.execPath, [typedoc, '--json', path.join(out, 'api.json'), '--treatWarningsAsErrors'], { cwd: root, timeout: 120000 });
      const api = JSON.parse(fs.readFileSync(path.join(out, 'api.json'), 'utf8')) as {
        children: Array<{ id: number; name: string; groups?: Array<{ title: string; children: number[] }>; children?: Array<{ id: number; name: string }> }>;
        readme?: Array<{ text: string }>;
      };
      expect(api.children.map((m) => m.name)).toEqual(['netstack-websocket', 'netstack-websocket/native']);
      const main = api.children[0];
      const names = new Map((main.children ?? []).map((c) => [c.id, c.name]));
      expect(main.groups?.[0].title).toBe('Faces');
      expect(main.groups?.[0].children.map((id) => names.get(id)).sort()).toEqual(['WebSocket', 'WebSocketConnection', 'connect', 'webSocket']);
      expect(main.groups?.[1].title).toBe('Errors');
      const landing = (api.readme ?? []).map((part) => part.text).join('');
      expect(landing).toContain('# netstack-websocket API');
      expect(landing).not.toBe(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 120000);
});
