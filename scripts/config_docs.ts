/** Rewrites the keyword reference in docs/config.md from the keyword table, then formats it. */
import { BEGIN_MARK, END_MARK, generatedPart, keywordReference } from "../config/docs.ts";

const path = new URL("../docs/config.md", import.meta.url);
const doc = Deno.readTextFileSync(path);
if (generatedPart(doc) === undefined) throw new Error(`docs/config.md lacks ${BEGIN_MARK}`);
const a = doc.indexOf(BEGIN_MARK) + BEGIN_MARK.length;
const b = doc.indexOf(END_MARK);
Deno.writeTextFileSync(path, `${doc.slice(0, a)}\n\n${keywordReference()}\n${doc.slice(b)}`);
const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", path.pathname] }).output();
if (!fmt.success) throw new Error(new TextDecoder().decode(fmt.stderr));
