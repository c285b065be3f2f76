import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ConfigLoader from "../../src/config/ConfigLoader.js"
import * as Plugins from "../../src/config/Plugins.js"
import * as EventBus from "../../src/events/EventBus.js"
import type { ModelRequest } from "../../src/kernel/Transcript.js"
import * as AgentRuntime from "../../src/runtime/AgentRuntime.js"
import * as InMemorySessionStore from "../../src/sessions/InMemorySessionStore.js"
import * as LocalSkills from "../../src/skills/LocalSkills.js"
import { recordingModel } from "../support/recordingModel.js"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "oa-skills-"))

const writeSkill = (root: string, folder: string, skillMd: string, files: Record<string, string> = {}) => {
  const dir = path.join(root, folder)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, "SKILL.md"), skillMd)
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    fs.writeFileSync(path.join(dir, name), text)
  }
}

const PDF_BODY = "To extract tables from a PDF, run scripts/extract.py on it and read references/forms.md first."
const GIT_BODY = "Rebase onto main, never force-push shared branches."

const skillsFolder = () => {
  const root = tempDir()
  writeSkill(root, "pdf-tools", `---\nname: pdf-tools\ndescription: "Extract text and tables from PDF documents."\n---\n\n${PDF_BODY}\n`, {
    "references/forms.md": "# Forms\n",
    "scripts/extract.py": "print('x')\n"
  })
  writeSkill(root, "git", `---\nname: git-workflow\ndescription: How this team branches, rebases and reviews commits.\n---\n${GIT_BODY}\n`)
  fs.mkdirSync(path.join(root, "not-a-skill")) // no SKILL.md: skipped
  return root
}

describe("LocalSkills", () => {
  it.effect("reads SKILL.md front matter, body and the files of references/ and scripts/", () =>
    Effect.gen(function*() {
      const skills = yield* LocalSkills.load({ searchPaths: [skillsFolder()] })
      assert.deepStrictEqual(skills.map((s) => [s.name, s.description]), [
        ["git-workflow", "How this team branches, rebases and reviews commits."],
        ["pdf-tools", "Extract text and tables from PDF documents."]
      ])
      const pdf = skills.find((s) => s.name === "pdf-tools")!
      assert.strictEqual(pdf.body, PDF_BODY)
      assert.deepStrictEqual(pdf.files, ["references/forms.md", "scripts/extract.py"])
    }))

  it.effect("matches by keyword overlap: a word of the name counts 2, a word of the description 1", () =>
    Effect.gen(function*() {
      const skills = yield* LocalSkills.load({ searchPaths: [skillsFolder()] })
      assert.deepStrictEqual(LocalSkills.match(skills, "Summarize the PDF I sent").map((s) => s.name), ["pdf-tools"])
      assert.deepStrictEqual(LocalSkills.match(skills, "please extract the tables").map((s) => s.name), ["pdf-tools"])
      assert.deepStrictEqual(LocalSkills.match(skills, "extract a number").map((s) => s.name), [], "one description word is not enough")
      assert.deepStrictEqual(LocalSkills.match(skills, "What is the capital of France?"), [])
    }))

  it.scoped("the system prompt the model receives holds the matching skill's text, not the others'", () =>
    Effect.gen(function*() {
      const requests: Array<ModelRequest> = []
      const root = skillsFolder()
      const layer = AgentRuntime.layer({
        agents: [{ id: "a", instructions: "You are helpful.", model: recordingModel(requests) }]
      }).pipe(
        Layer.provide(Layer.mergeAll(InMemorySessionStore.layer, EventBus.layer(), LocalSkills.layer({ searchPaths: [root] })))
      )
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "Extract the tables of this PDF for me" })
        const system = requests[0]!.system ?? ""
        assert.isTrue(system.startsWith("You are helpful.\n\n## Skills"), system)
        assert.include(system, "- pdf-tools: Extract text and tables from PDF documents.")
        assert.include(system, "- git-workflow: How this team branches, rebases and reviews commits.")
        assert.include(system, "### Skill: pdf-tools")
        assert.include(system, PDF_BODY)
        assert.include(system, `under ${path.join(root, "pdf-tools")}`)
        assert.include(system, "- scripts/extract.py")
        assert.notInclude(system, GIT_BODY)
        yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "How do we rebase a branch before review?" })
        const second = requests[1]!.system ?? ""
        assert.include(second, GIT_BODY)
        assert.notInclude(second, PDF_BODY)
      }).pipe(Effect.provide(layer))
    }))

  it.scoped("agent.json: skills {type: local, config: {root}} resolved against the config file, in a full run", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      fs.cpSync(skillsFolder(), path.join(dir, "my-skills"), { recursive: true })
      const file = path.join(dir, "agent.json")
      fs.writeFileSync(file, JSON.stringify({
        agents: [{ id: "a", instructions: "Be brief." }],
        skills: { type: "local", config: { root: "my-skills", list_available: false } }
      }))
      const built = yield* Effect.flatMap(ConfigLoader.load(file), Plugins.fromConfig)
      // the agent as configured, its mock model recording what it is sent
      const requests: Array<ModelRequest> = []
      const agents = built.agents.map((a) => ({ ...a, model: recordingModel(requests) }))
      yield* Effect.gen(function*() {
        const rt = yield* AgentRuntime.AgentRuntime
        const r = yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "convert this pdf" })
        assert.strictEqual(r.stopReason, "completed")
        assert.strictEqual(requests[0]!.system, `Be brief.\n\n## Skills\n\n### Skill: pdf-tools\n\n${PDF_BODY}\n\n` +
          `Files of this skill, under ${path.join(dir, "my-skills", "pdf-tools")} (read them when you need them):\n` +
          "- references/forms.md\n- scripts/extract.py")
        yield* rt.runDetailed({ agentId: "a", sessionId: "s", inputText: "hello" })
        assert.strictEqual(requests[1]!.system, "Be brief.", "no listing and no match: nothing added")
      }).pipe(Effect.provide(AgentRuntime.layer({ agents }).pipe(Layer.provide(built.services))))
    }))

  const badCases: ReadonlyArray<readonly [string, string, string]> = [
    ["no front matter", "# Just markdown\n", "has no YAML front matter"],
    ["no name", "---\ndescription: does things\n---\nbody\n", "front matter has no 'name'"],
    ["an empty name", "---\nname: ''\n---\nbody\n", "front matter has no 'name'"],
    ["unclosed front matter", "---\nname: x\nbody\n", "has no YAML front matter"],
    ["invalid YAML", "---\nname: [unclosed\n---\n", "front matter is not valid YAML"],
    ["a list, not a mapping", "---\n- a\n- b\n---\n", "must be a YAML mapping"]
  ]
  for (const [name, text, message] of badCases) {
    it.effect(`a SKILL.md with ${name} is a ConfigError naming the file`, () =>
      Effect.gen(function*() {
        const root = skillsFolder()
        writeSkill(root, "broken", text)
        const exit = yield* Effect.exit(LocalSkills.load({ searchPaths: [root] }))
        const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual(error?._tag, "ConfigError")
        const file = path.join(root, "broken", "SKILL.md")
        assert.include(error?.message ?? "", file)
        assert.include(error?.message ?? "", message)
      }))
  }

  it.effect("a bad SKILL.md in agent.json fails building the runtime with the file's name", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      writeSkill(path.join(dir, "skills"), "broken", "no front matter here\n")
      const file = path.join(dir, "agent.json")
      fs.writeFileSync(file, JSON.stringify({ agents: [{ id: "a" }], skills: { type: "local" } }))
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(Plugins.runtimeLayer(file))))
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      assert.strictEqual(error?._tag, "ConfigError")
      assert.include(error?.message ?? "", path.join(dir, "skills", "broken", "SKILL.md"))
    }))

  it.effect("a missing folder, a duplicate name and an unknown enabled name are ConfigErrors", () =>
    Effect.gen(function*() {
      const failure = (options: LocalSkills.Options) =>
        Effect.map(Effect.flip(LocalSkills.load(options)), (e) => e.message)
      assert.include(yield* failure({ searchPaths: [path.join(tempDir(), "nope")] }), "cannot read the skills folder")
      const root = skillsFolder()
      writeSkill(root, "pdf-2", "---\nname: pdf-tools\n---\n")
      assert.include(yield* failure({ searchPaths: [root] }), "skill name 'pdf-tools' is also the name of")
      assert.include(yield* failure({ searchPaths: [skillsFolder()], enabled: ["pdf"] }), "no skill named 'pdf'")
    }))

  it.effect("enabled limits the skills offered", () =>
    Effect.gen(function*() {
      const skills = yield* LocalSkills.load({ searchPaths: [skillsFolder()], enabled: ["git-workflow"] })
      assert.deepStrictEqual(skills.map((s) => s.name), ["git-workflow"])
      assert.strictEqual(LocalSkills.render(skills, "what is a pdf"), "## Skills\n\nSkills you can use (name: description):\n- git-workflow: How this team branches, rebases and reviews commits.")
      assert.strictEqual(LocalSkills.render(skills, "what is a pdf", { listAvailable: false }), "")
    }))
})
