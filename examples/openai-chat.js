// A script as you would write it for OpenAI, with no key of its own. Run it through Keyhole:
//   keyhole run --secret openai -- node examples/openai-chat.js "Say hi"
// `keyhole run` sets OPENAI_BASE_URL (a local endpoint) and OPENAI_API_KEY=keyhole-placeholder
// for this process only; the relay puts the real key in (docs/cli.md, "keyhole run").
import OpenAI from 'openai';

const client = new OpenAI();
const stream = await client.chat.completions.create({
  model: process.env.OPENAI_MODEL ?? 'gpt-4o-mini',
  messages: [{ role: 'user', content: process.argv[2] ?? 'Say hi' }],
  stream: true,
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
console.log(`\n(OPENAI_API_KEY in this process: ${JSON.stringify(process.env.OPENAI_API_KEY)})`);
