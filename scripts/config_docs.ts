/** Rewrites the generated parts of docs/config.md from the keyword table, then formats it. */
import {
  BEGIN_KA_MARK,
  BEGIN_MARK,
  END_KA_MARK,
  END_MARK,
  keepalivedKeywordTable,
  keywordReference,
  replacePart,
} from "../config/docs.ts";

const path = new URL("../docs/config.md", import.meta.url);
const keywords = JSON.parse(
  Deno.readTextFileSync(
    new URL("../tests/fixtures/keepalived/keywords-2.2.7.json", import.meta.url),
  ),
).blocks;
let doc = Deno.readTextFileSync(path);
doc = replacePart(doc, keywordReference(), BEGIN_MARK, END_MARK);
doc = replacePart(doc, keepalivedKeywordTable(keywords), BEGIN_KA_MARK, END_KA_MARK);
Deno.writeTextFileSync(path, doc);
const fmt = await new Deno.Command(Deno.execPath(), { args: ["fmt", path.pathname] }).output();
if (!fmt.success) throw new Error(new TextDecoder().decode(fmt.stderr));
