import assert from "node:assert/strict";
import { ADMIN_STATE_FILE, loadAdminState, saveAdminState } from "../../lib/daemon/admin_state.ts";

Deno.test("saveAdminState() then loadAdminState() round-trips, creating the directory", async () => {
  const root = await Deno.makeTempDir();
  const dir = `${root}/var/lib/vrrp`;
  try {
    await saveAdminState(dir, ["b", "a", "b"]);
    assert.deepEqual(await loadAdminState(dir), { down: new Set(["a", "b"]) });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/${ADMIN_STATE_FILE}`)), {
      version: 1,
      adminDown: ["a", "b"],
    });
    await saveAdminState(dir, []);
    assert.deepEqual(await loadAdminState(dir), { down: new Set() });
    // the temp file was renamed away
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [ADMIN_STATE_FILE]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadAdminState() of a missing file is an empty set without a warning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await loadAdminState(`${dir}/nope`), { down: new Set() });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadAdminState() of a corrupt file is an empty set with a warning", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (
      const [text, want] of [
        ["{not json", /malformed JSON/],
        ['{"adminDown": [1]}', /expected/],
        ["null", /expected/],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/${ADMIN_STATE_FILE}`, text);
      const got = await loadAdminState(dir);
      assert.deepEqual(got.down, new Set());
      assert.match(got.warning ?? "", want);
    }
    // a directory where the file should be: unreadable, still no throw
    await Deno.remove(`${dir}/${ADMIN_STATE_FILE}`);
    await Deno.mkdir(`${dir}/${ADMIN_STATE_FILE}`);
    const got = await loadAdminState(dir);
    assert.deepEqual(got.down, new Set());
    assert.match(got.warning ?? "", /cannot read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
