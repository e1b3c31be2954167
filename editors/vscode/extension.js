// The mpcc VS Code client: starts `mpcc lsp` (the binary named by the `mpcc.path` setting) over
// stdio for `.mpc` files. All analysis happens in the server; this file only wires it up.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverPath() {
  const configured = vscode.workspace.getConfiguration("mpcc").get("path");
  return configured && configured.trim() !== "" ? configured : "mpcc";
}

async function start(context) {
  const command = serverPath();
  const serverOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "mpc" }, { scheme: "untitled", language: "mpc" }],
    outputChannelName: "mpcc",
  };
  client = new LanguageClient("mpcc", "mpcc language server", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (err) {
    vscode.window.showErrorMessage(
      `mpcc: could not start \`${command} lsp\` (${err}). Set \`mpcc.path\` to the mpcc binary.`
    );
  }
}

async function stop() {
  if (client) {
    const old = client;
    client = undefined;
    await old.stop();
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("mpcc.restartServer", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("mpcc.path")) {
        await stop();
        await start(context);
      }
    })
  );
  await start(context);
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
