// A script as a user writes it: the official `openai` package, configured only by the environment
// (OPENAI_BASE_URL, OPENAI_API_KEY). Run by `keyhole run` in the tests. It writes its whole
// environment to the file named by argv[2] (the test looks for the secret there), then prints
// what it saw: the key it was given, the base URL and the model's reply.
import { writeFileSync } from 'node:fs';
import OpenAI from 'openai';

const [, , envFile, mode = 'once'] = process.argv;
writeFileSync(envFile, JSON.stringify(process.env));
const client = new OpenAI({ maxRetries: 0 });
const messages = [{ role: 'user', content: 'Say hello' }];
if (mode === 'stream') {
  const stream = await client.chat.completions.create({
    model: 'gpt-test',
    messages,
    stream: true,
  });
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
  process.stdout.write('\n');
} else {
  const completion = await client.chat.completions.create({ model: 'gpt-test', messages });
  console.log(
    JSON.stringify({
      key: client.apiKey,
      baseURL: client.baseURL,
      reply: completion.choices[0]?.message.content,
    }),
  );
}
