# Output for the history's property test (recorded by record.sh): colours
# (16, 256, RGB), every attribute, wide and combining characters, emoji
# with a presentation selector, tabs and cursor moves over a coloured
# background (blank cells between coloured ones), and lines that wrap.
ls --color=always -la /bin | head -30
i=0
while [ $i -lt 40 ]; do
    printf '\033[3%dm%02d \033[4%d;1mbold-on-bg\033[0m \033[38;5;%dmidx\033[0m \033[38;2;%d;100;50mrgb\033[0m' $((i % 8)) $i $((i % 8)) $((i * 6)) $((i * 6))
    printf '\t\033[44mtab\tafter\033[0m \033[7minv\033[27m \033[2mdim\033[22m \033[3;4mit-ul\033[0m'
    printf ' \345\220\215\345\211\215 e\314\201 \342\235\244\357\270\217 \033[45mX\033[3CY\033[0m\n'
    i=$((i + 1))
done
printf '%0150d\n' 0
printf '\033[41m%0170d\033[0m\n' 7
echo done
