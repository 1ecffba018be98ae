# Script mode (cmake -P): writes an ISO's grub.cfg from boot/grub.cfg.
#   TEMPLATE   boot/grub.cfg
#   OUT        where to write
#   CMDLINE    extra kernel command line
#   SERVERS    ;-list of "name[:word...]" (ondemand, budget=...): one module2 line each
#   EXTRA_CFG  optional file whose lines are added after the servers' lines
#   FRAMEBUFFER ON lets GRUB pick a framebuffer on BIOS too; else EGA text
file(READ ${TEMPLATE} cfg)
set(modules "")
foreach(entry IN LISTS SERVERS)
    # "name" or "name:ondemand:budget=..." (words of init's policy)
    string(REPLACE ":" " " words "${entry}")
    string(REGEX REPLACE ":.*" "" s "${entry}")
    string(APPEND modules "module2 /boot/${s}.elf ${words}\n    ")
endforeach()
if(EXTRA_CFG)
    file(STRINGS ${EXTRA_CFG} extra)
    foreach(line IN LISTS extra)
        string(APPEND modules "${line}\n    ")
    endforeach()
endif()
if(FRAMEBUFFER)
    string(REPLACE "then set gfxpayload=text;" "then set gfxpayload=auto;" cfg "${cfg}")
endif()
string(REPLACE "@MICA_CMDLINE@" "${CMDLINE}" cfg "${cfg}")
string(REPLACE "@MICA_MODULES@" "${modules}" cfg "${cfg}")
file(WRITE ${OUT} "${cfg}")
