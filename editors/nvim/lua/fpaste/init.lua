--- fpaste.nvim: share buffers through an fpasted server and open pastes in Neovim.
---
--- Talks HTTP through curl (list arguments, never a shell), so it works on Neovim 0.7 and
--- later without any Lua dependency. Configuration:
---   vim.g.fpaste_server    server URL, e.g. "https://paste.example.org" (else $FPASTE_SERVER)
---   vim.g.fpaste_cert      client certificate (PEM) for an owned paste, optional
---   vim.g.fpaste_key       its private key, optional
---   vim.g.fpaste_register  register that receives the URL (default: "+" when a clipboard
---                          provider exists, always also the unnamed register)
---   vim.g.fpaste_curl      curl executable (default "curl")
local M = {}

local function notify(msg, level)
  vim.notify('fpaste: ' .. msg, level or vim.log.levels.INFO)
end

local function fail(msg)
  notify(msg, vim.log.levels.ERROR)
  return nil, msg
end

--- The configured server URL without a trailing slash, or nil and a message.
function M.server()
  local s = vim.g.fpaste_server
  if s == nil or s == '' then
    s = os.getenv('FPASTE_SERVER')
  end
  if s == nil or s == '' then
    return nil, 'no server configured: set g:fpaste_server or $FPASTE_SERVER'
  end
  return (s:gsub('/+$', ''))
end

-- scheme://host[:port] of a URL: the server's URLs already carry any path prefix.
local function origin(url)
  return url:match('^(https?://[^/]+)')
end

-- The readable reason of a failed response: the problem+json `error` member (kept for
-- FlaskPaste clients), else `detail`/`title`, else the status alone.
local function reason(status, body)
  local ok, doc = pcall(vim.fn.json_decode, body)
  if ok and type(doc) == 'table' then
    local text = doc.error or doc.detail or doc.title
    if type(text) == 'string' and text ~= '' then
      local extra = ''
      if doc.min_entropy and doc.entropy then
        extra = string.format(' (entropy %.2f, minimum %.2f)', doc.entropy, doc.min_entropy)
      end
      return string.format('%s (HTTP %d)%s', text, status, extra)
    end
  end
  return string.format('HTTP %d', status)
end

-- Runs curl with ARGS (stdin from INPUT when given), the response body going to a temp
-- file. Returns status, body; or nil and a message when curl itself failed.
local function curl(args, input)
  local out = vim.fn.tempname()
  local cmd = { vim.g.fpaste_curl or 'curl', '-sS', '--max-time', '60', '-o', out, '-w', '%{http_code}' }
  if vim.g.fpaste_cert and vim.g.fpaste_cert ~= '' then
    vim.list_extend(cmd, { '--cert', vim.fn.expand(vim.g.fpaste_cert) })
    if vim.g.fpaste_key and vim.g.fpaste_key ~= '' then
      vim.list_extend(cmd, { '--key', vim.fn.expand(vim.g.fpaste_key) })
    end
  end
  vim.list_extend(cmd, args)
  local stdout = input and vim.fn.system(cmd, input) or vim.fn.system(cmd)
  local code = vim.v.shell_error
  local body = ''
  if vim.fn.filereadable(out) == 1 then
    body = table.concat(vim.fn.readfile(out, 'b'), '\n')
    os.remove(out)
  end
  if code ~= 0 then
    local msg = vim.trim(stdout):gsub('%d%d%d$', '')
    return nil, string.format('curl failed (exit %d): %s', code, vim.trim(msg))
  end
  local status = tonumber(stdout:match('(%d%d%d)%s*$'))
  if not status then
    return nil, 'unexpected curl output: ' .. stdout
  end
  return status, body
end

local function put_url(url)
  vim.fn.setreg('"', url)
  local reg = vim.g.fpaste_register
  if reg == nil then
    reg = vim.fn.has('clipboard') == 1 and '+' or nil
  end
  if reg and reg ~= '"' then
    pcall(vim.fn.setreg, reg, url)
  end
end

--- Pastes lines LINE1..LINE2 (1-based, inclusive) of buffer BUF. opts.burn makes it
--- single-read, opts.expiry sets its lifetime in seconds. Returns the paste URL or nil, err.
function M.paste(buf, line1, line2, opts)
  opts = opts or {}
  local server, err = M.server()
  if not server then
    return fail(err)
  end
  local lines = vim.api.nvim_buf_get_lines(buf, line1 - 1, line2, false)
  -- Like writing the range to a file: every line ends with a newline.
  local content = table.concat(lines, '\n') .. '\n'
  local args = { '-X', 'POST', '--data-binary', '@-', '-H', 'Content-Type: text/plain; charset=utf-8' }
  if opts.burn then
    vim.list_extend(args, { '-H', 'X-Burn-After-Read: true' })
  end
  if opts.expiry then
    vim.list_extend(args, { '-H', 'X-Expiry: ' .. tostring(opts.expiry) })
  end
  table.insert(args, server .. '/')
  local status, body = curl(args, content)
  if not status then
    return fail(body)
  end
  if status ~= 201 then
    return fail('paste refused: ' .. reason(status, body))
  end
  local ok, doc = pcall(vim.fn.json_decode, body)
  if not ok or type(doc) ~= 'table' or type(doc.url) ~= 'string' then
    return fail('unexpected answer from the server: ' .. body:sub(1, 200))
  end
  local url = doc.url
  if url:sub(1, 1) == '/' then
    url = origin(server) .. url
  end
  put_url(url)
  notify(url .. (doc.burn_after_read and ' (burns after one read)' or ''))
  return url
end

-- The raw-content URL for a paste URL, a path or a bare id.
local function raw_url(target)
  target = vim.trim(target)
  if target:find('#', 1, true) then
    notify('the #key part is for the fpaste CLI (end-to-end encryption); fetching the stored bytes',
      vim.log.levels.WARN)
    target = target:gsub('#.*$', '')
  end
  if not target:match('^https?://') then
    local server, err = M.server()
    if not server then
      return nil, err
    end
    target = (target:sub(1, 1) == '/' and origin(server) or server .. '/') .. target
  end
  target = target:gsub('/+$', '')
  if not target:match('/raw$') then
    target = target .. '/raw'
  end
  return target
end

--- Opens the content of the paste at TARGET (URL, path or id) in a new scratch buffer.
--- Returns the buffer number or nil, err.
function M.get(target)
  local url, err = raw_url(target)
  if not url then
    return fail(err)
  end
  local status, body = curl({ url })
  if status == 401 and body:lower():find('password', 1, true) then
    local password = vim.fn.inputsecret('Paste password: ')
    if password ~= '' then
      status, body = curl({ '-H', 'X-Paste-Password: ' .. password, url })
    end
  end
  if not status then
    return fail(body)
  end
  if status ~= 200 then
    return fail('cannot fetch ' .. url .. ': ' .. reason(status, body))
  end
  local lines = vim.split(body, '\n', { plain = true })
  if lines[#lines] == '' then
    table.remove(lines)
  end
  vim.cmd('enew')
  local buf = vim.api.nvim_get_current_buf()
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'hide'
  vim.bo[buf].modified = false
  local id = url:match('([^/]+)/raw$') or 'paste'
  pcall(vim.api.nvim_buf_set_name, buf, 'fpaste://' .. id)
  return buf
end

return M
