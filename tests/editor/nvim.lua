-- Neovim's own LSP client against `quickback-kv lsp`, run headless by
-- neovim.test.mjs: opens $QK_CONFIG, waits for diagnostics, asks for a hover
-- and the quick fix, applies it, waits for the diagnostics to clear, stops the
-- server and writes everything it saw to $QK_EDITOR_OUT as JSON.
-- Written for Debian bookworm's Neovim 0.7 (`vim.lsp.start` arrived in 0.8).

local out = { published = {}, steps = {} }
local timeout = 20000

local function step(name)
  table.insert(out.steps, name)
end

local function write_out()
  local file = assert(io.open(os.getenv("QK_EDITOR_OUT"), "w"))
  file:write(vim.fn.json_encode(out))
  file:close()
end

local function diagnostics(bufnr)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(list, {
      lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col,
      severity = d.severity, message = d.message, source = d.source,
      code = d.code or lsp.code,
    })
  end
  return list
end

local function run()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("QK_CONFIG")))
  local bufnr = vim.api.nvim_get_current_buf()
  local publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
  local client_id = vim.lsp.start_client({
    name = "quickback-kv",
    cmd = { os.getenv("QK_BIN"), "lsp" },
    root_dir = vim.fn.fnamemodify(os.getenv("QK_CONFIG"), ":p:h:h"),
    handlers = {
      ["textDocument/publishDiagnostics"] = function(err, params, ctx, config)
        table.insert(out.published, params)
        return publish(err, params, ctx, config)
      end,
    },
    on_exit = function(code)
      out.exit_code = code
    end,
  })
  assert(client_id, "the client did not start")
  vim.lsp.buf_attach_client(bufnr, client_id)
  step("attached")

  assert(vim.wait(timeout, function() return #vim.diagnostic.get(bufnr) > 0 end, 20), "no diagnostics arrived")
  out.diagnostics = diagnostics(bufnr)
  step("diagnostics")

  local uri = vim.uri_from_bufnr(bufnr)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  for i, line in ipairs(lines) do
    local col = line:find("kvId: \"", 1, true)
    if col then
      -- `col` is a 1-based byte index; as a 0-based one it points inside the key. The
      -- protocol wants UTF-16 (the second result), which differs here: the line has "ü" and "🔑".
      local _, character = vim.str_utfindex(line, col)
      local hover = vim.lsp.buf_request_sync(bufnr, "textDocument/hover",
        { textDocument = { uri = uri }, position = { line = i - 1, character = character } }, timeout)
      local result = hover and hover[client_id] and hover[client_id].result
      out.hover = result and result.contents and result.contents.value
      break
    end
  end
  step("hover")

  -- Neovim 0.7 keeps no LSP range in `vim.diagnostic`; take the diagnostic as published.
  local lsp_diagnostic
  for _, params in ipairs(out.published) do
    lsp_diagnostic = params.diagnostics[1] or lsp_diagnostic
  end
  local actions = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", {
    textDocument = { uri = uri },
    range = lsp_diagnostic.range,
    context = { diagnostics = { lsp_diagnostic } },
  }, timeout)
  local list = actions and actions[client_id] and actions[client_id].result or {}
  out.actions = vim.tbl_map(function(a) return a.title end, list)
  assert(#list == 1, "expected one quick fix")
  -- Applying the edit makes Neovim send an incremental didChange with UTF-16 ranges.
  vim.lsp.util.apply_workspace_edit(list[1].edit, "utf-16")
  step("fixed")

  assert(vim.wait(timeout, function() return #vim.diagnostic.get(bufnr) == 0 end, 20), "diagnostics did not clear")
  out.diagnostics_after_fix = diagnostics(bufnr)
  out.text_after_fix = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
  step("cleared")

  vim.lsp.stop_client(client_id)
  assert(vim.wait(timeout, function() return out.exit_code ~= nil end, 20), "the server did not exit")
  step("stopped")
end

local ok, err = pcall(run)
out.error = not ok and tostring(err) or nil
write_out()
vim.cmd(ok and "qall!" or "cquit 1")
