-- Driven by 60-nvim.sh through `nvim --headless -u NONE -c luafile`. Exercises the
-- plugin's commands against the real fpasted at $FPASTE_SERVER and exits non-zero on failure.
local root, out = os.getenv('PLUGIN_ROOT'), os.getenv('RESULT_FILE')
vim.opt.runtimepath:prepend(root)
vim.cmd('runtime! plugin/fpaste.lua')

local messages = {}
vim.notify = function(msg, level)
  table.insert(messages, { msg = msg, level = level or vim.log.levels.INFO })
end
local function last() return messages[#messages] or { msg = '' } end

local function check(cond, what)
  if not cond then
    io.stderr:write('FAIL nvim: ' .. what .. '\n  last message: ' .. last().msg .. '\n')
    vim.cmd('cquit 1')
  end
end

local results = {}
vim.g.fpaste_server = nil -- falls back to $FPASTE_SERVER
local text = { 'first line', '\tindented: ünïcödé ✓', '', 'after a blank line', 'last' }
vim.api.nvim_buf_set_lines(0, 0, -1, false, text)

vim.cmd('Fpaste')
local url = vim.fn.getreg('"')
check(url:match('^http://127%.0%.0%.1:%d+/[%w_-]+$'), 'whole-buffer :Fpaste put no URL in the register: ' .. url)
check(last().msg == 'fpaste: ' .. url, 'the URL was not echoed')
table.insert(results, 'whole ' .. url)

vim.cmd('2,3Fpaste')
local range_url = vim.fn.getreg('"')
check(range_url ~= url and range_url:match('^http://'), ':2,3Fpaste gave no new URL')
table.insert(results, 'range ' .. range_url)

vim.cmd('Fpaste! 600')
local burn_url = vim.fn.getreg('"')
check(last().msg:find('burns after one read', 1, true), ':Fpaste! did not ask for burn after read')
table.insert(results, 'burn ' .. burn_url)

local src = vim.api.nvim_get_current_buf()
vim.cmd('FpasteGet ' .. url)
local got = vim.api.nvim_get_current_buf()
check(got ~= src, ':FpasteGet opened no new buffer')
check(vim.deep_equal(vim.api.nvim_buf_get_lines(got, 0, -1, false), text), 'round trip changed the content')
check(vim.bo[got].buftype == 'nofile', 'paste buffer is not a scratch buffer')

-- A bare id resolves against the server.
local id = range_url:match('/([%w_-]+)$')
vim.cmd('FpasteGet ' .. id)
check(vim.deep_equal(vim.api.nvim_buf_get_lines(0, 0, -1, false), { text[2], text[3] }), 'range paste content differs')

-- Burn after read: the first read gets it, the second a readable error.
vim.cmd('FpasteGet ' .. burn_url)
check(vim.deep_equal(vim.api.nvim_buf_get_lines(0, 0, -1, false), text), 'burn paste content differs')
local before = vim.api.nvim_get_current_buf()
vim.cmd('FpasteGet ' .. burn_url)
check(vim.api.nvim_get_current_buf() == before, 'a failed :FpasteGet opened a buffer')
check(last().level == vim.log.levels.ERROR and last().msg:find('Paste not found (HTTP 404)', 1, true),
  'second read of a burned paste: expected the server\'s "Paste not found" error')
table.insert(results, 'error404 ' .. last().msg)

-- Too large for the server (started with FLASKPASTE_MAX_ANON=4096): the problem+json reason.
vim.cmd('enew')
local big = {}
for i = 1, 200 do big[i] = string.rep('x', 40) .. i end
vim.api.nvim_buf_set_lines(0, 0, -1, false, big)
vim.fn.setreg('"', 'unchanged')
vim.cmd('Fpaste')
check(last().level == vim.log.levels.ERROR and last().msg:find('HTTP 413', 1, true), 'oversize paste: no 413 error')
check(vim.fn.getreg('"') == 'unchanged', 'a refused paste changed the register')
table.insert(results, 'error413 ' .. last().msg)

-- No server listening: curl's failure, readably.
vim.g.fpaste_server = 'http://127.0.0.1:' .. os.getenv('DEAD_PORT')
vim.cmd('1Fpaste')
check(last().level == vim.log.levels.ERROR and last().msg:find('curl failed', 1, true), 'dead server: no curl error')
table.insert(results, 'dead ' .. last().msg)

vim.fn.writefile(results, out)
vim.cmd('qall!')
