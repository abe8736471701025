// The read-path baseline: Express serving a folder of static files. argv: <dir> <port>
import express from 'express';

const [dir, port] = process.argv.slice(2);
const app = express();
app.use(express.static(dir as string, { etag: true }));
app.listen(Number(port), '127.0.0.1');
