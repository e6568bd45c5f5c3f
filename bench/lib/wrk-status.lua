-- wrk-tokens.lua plus a count of responses per HTTP status (see there).
COUNT_STATUS = true
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "wrk-tokens.lua")
