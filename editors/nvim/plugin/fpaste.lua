-- :Fpaste[!] [seconds]  paste the range (default: whole buffer); ! = burn after read
-- :FpasteGet {url}      open a paste's content in a new scratch buffer
if vim.g.loaded_fpaste then
  return
end
vim.g.loaded_fpaste = true

vim.api.nvim_create_user_command('Fpaste', function(cmd)
  local expiry = cmd.args ~= '' and tonumber(cmd.args) or nil
  if cmd.args ~= '' and not expiry then
    vim.notify('fpaste: the argument is a lifetime in seconds', vim.log.levels.ERROR)
    return
  end
  require('fpaste').paste(0, cmd.line1, cmd.line2, { burn = cmd.bang, expiry = expiry })
end, { range = '%', bang = true, nargs = '?', desc = 'Paste the range or buffer to fpaste' })

vim.api.nvim_create_user_command('FpasteGet', function(cmd)
  require('fpaste').get(cmd.args)
end, { nargs = 1, desc = 'Open an fpaste paste in a new buffer' })
