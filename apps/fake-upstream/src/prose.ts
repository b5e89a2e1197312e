/**
 * Deterministic prose for large, realistic bodies ([[prose:N]], the bench's agent-sized turn):
 * sentences and paragraphs of common English and programming words, drawn by a PRNG seeded from
 * a text, so one text always gives the same prose. Unlike a repeated word, it compresses about
 * as well as real text does, which matters wherever a body's size is measured after compression
 * (Postgres stores JSON columns over ~2 KB compressed).
 */

// Frequent words first: the draw favours the front of the list, as word frequencies in text do.
const VOCABULARY = (
  'the of and to a in is that it for on with as this be are by not or you we from at can if ' +
  'an but will have was which when all one more so then there they would should also only each ' +
  'into than other its no use what how new some any these out up do has first time two may after ' +
  'before same like just does where because about over most need still without every both while ' +
  'value file function test request response error change code line name type data state call ' +
  'return result case path list field model build run check step user server client key table ' +
  'query row column string number object array map set event stream body header status message ' +
  'input output tool version config option default limit size count cache queue store log ' +
  'module service handler method class interface package branch commit diff patch merge ' +
  'review issue fix bug feature spec suite process thread worker timeout retry failure success ' +
  'update delete create read write send receive parse render load save open close start stop ' +
  'add remove keep move copy replace find match look show make take give get put see know think ' +
  'want try tell ask work seem feel leave turn begin help mean ' +
  'small large long short old right wrong good better best simple clear real whole main own next ' +
  'last early late empty full public private local remote single ready safe slow fast sure ' +
  'here now again already often never always perhaps instead rather quite usually probably ' +
  'between through during under above below until since around against within across ' +
  'system memory network database connection session token budget price cost account team ' +
  'project document section example question answer reason problem solution approach detail ' +
  'point part place way thing idea plan goal task order level kind side end week day hour ' +
  'minute second moment people person developer reader writer owner operator customer ' +
  'browser terminal shell command script argument flag variable constant parameter property ' +
  'environment directory folder repository dependency library framework runtime compiler ' +
  'schema migration index transaction lock batch buffer chunk frame socket port host address'
).split(' ');

const CODE_WORDS = (
  'npm git node tsc jest const let await async null undefined true false JSON.parse() fetch() ' +
  'package.json tsconfig.json README.md src/index.ts src/main.ts .env Dockerfile main.ts ' +
  'user_id created_at --force --verbose HTTP/1.1 200 404 500 localhost:3000 /v1/responses ' +
  'process.env Promise<void> Map<string,string[]> utf-8 SELECT UPDATE WHERE ' +
  'console.log() Buffer.concat() setTimeout() readFileSync() Array.isArray() e2e CI v2 API SDK'
).split(' ');

// Word groups that recur in real text, which is what makes it compress better than loose words.
const PHRASES = (
  'of the|in the|to the|on the|for the|it is|this is|that the|and the|from the|with the|at the|by the|' +
  'we need to|make sure that|as well as|in order to|at the same time|one of the|the rest of|' +
  'so that the|if you want to|it would be|there is no|the first time|for each request|the end of|' +
  'the request body|the response status|the same file|the test suite|the last step|the next change|' +
  'a new version|the old value|the default config|the error message|the main branch|the build step|' +
  'run the tests|read the file|check the logs|look at the|open the file|fix the bug|write a test|' +
  'I think that|let me check|you can see|it does not|we do not|there are two|this means that|' +
  'in this case|for example|on the other hand|in other words|as a result|by default|at least|' +
  'the user wants|the tool call|the output of|the input of|the size of|the number of|the value of'
).split('|').map((p) => p.split(' '));

// Shares of the draws: a phrase, a word of code (in backticks), a comma after a word.
const PHRASE_SHARE = 0.4;
const CODE_SHARE = 0.05;
const COMMA_SHARE = 0.07;

const SENTENCE_ENDS = ['.', '.', '.', '.', '.', '.', '?', ':', '!'];

/** `words` whitespace-separated words of prose (the fake counts exactly that many tokens), the same for the same seed text. */
export function fakeProse(words: number, seedText: string): string {
  const random = mulberry32(fnv1a(seedText));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(list.length * random())];
  // Squaring favours the front of a list, and costs far less than a power with a fractional exponent.
  const pickFrequent = <T>(list: readonly T[]): T => {
    const r = random();
    return list[Math.floor(list.length * r * r)];
  };
  let out = '';
  let sentenceLeft = 0;
  let paragraphLeft = 0;
  // The rest of a phrase being written (a sentence's end drops it).
  let phrase: readonly string[] = [];
  let inPhrase = 0;
  for (let i = 0; i < words; i++) {
    const starts = sentenceLeft === 0;
    if (starts) {
      sentenceLeft = 4 + Math.floor(random() * 18);
      if (i > 0) out += paragraphLeft === 0 ? '\n\n' : ' ';
      if (paragraphLeft === 0) paragraphLeft = 2 + Math.floor(random() * 5);
    } else out += ' ';
    let word: string;
    if (inPhrase < phrase.length) word = phrase[inPhrase++];
    else {
      const draw = random();
      if (draw < PHRASE_SHARE) {
        phrase = pickFrequent(PHRASES);
        word = phrase[0];
        inPhrase = 1;
      } else word = draw < PHRASE_SHARE + CODE_SHARE ? `\`${pick(CODE_WORDS)}\`` : pickFrequent(VOCABULARY);
    }
    if (starts) word = word[0].toUpperCase() + word.slice(1);
    if (--sentenceLeft === 0 || i === words - 1) {
      out += word + (i === words - 1 ? '.' : pick(SENTENCE_ENDS));
      sentenceLeft = 0;
      paragraphLeft--;
      inPhrase = phrase.length;
    } else out += random() < COMMA_SHARE ? `${word},` : word;
  }
  return out;
}

/** 32-bit FNV-1a of the text's UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A small, fast 32-bit PRNG with a good spread (Tommy Ettinger's Mulberry32): [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
