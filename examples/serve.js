// Serves the example page on http://localhost:5173 and a demo API on http://127.0.0.1:5174.
// The demo API never echoes the credential: it only says whether one arrived and how long it was.
// The relay refuses loopback addresses unless told otherwise, so this prints the command it needs.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';

const page = new URL('./index.html', import.meta.url);

createServer(async (req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(await readFile(page));
}).listen(5173, 'localhost', () => console.log('example page: http://localhost:5173'));

createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const auth = String(req.headers.authorization ?? '');
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      let i = 0;
      const timer = setInterval(() => {
        res.write(`chunk ${i} (credential received: ${auth.length > 7})\n`);
        if (++i === 5) (clearInterval(timer), res.end());
      }, 300);
      return;
    }
    res.writeHead(auth.startsWith('Bearer ') ? 200 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ received: body ? JSON.parse(body) : null, credentialLength: auth.length }),
    );
  });
}).listen(5174, '127.0.0.1', () => {
  console.log('demo API:     http://127.0.0.1:5174');
  console.log('');
  console.log(
    'The relay refuses private addresses unless listed. Start it, in another terminal, with:',
  );
  console.log('');
  console.log('  KEYHOLE_ALLOW_PRIVATE=127.0.0.1:5174 npm start');
  console.log('');
  console.log(
    'then add a secret in the popup: host http://127.0.0.1:5174, site http://localhost:5173.',
  );
});
