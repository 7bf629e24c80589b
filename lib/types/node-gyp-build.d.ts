// node-gyp-build ships no types: it returns the loaded addon of the package at `root`.
declare module 'node-gyp-build' {
  function nodeGypBuild(root: string): unknown;
  export = nodeGypBuild;
}
