// How much slower than a plain build the client under test runs: npm run test:asan sets
// NETSTACK_TEST_SLOWDOWN (the sanitizers make the addon several times slower), and tests whose
// peers act after a deliberate delay stretch it by this much, so that the same interleavings
// of client and peer happen as in a plain build.
export const TEST_SLOWDOWN = Math.max(1, Number(process.env.NETSTACK_TEST_SLOWDOWN ?? 1) || 1);
