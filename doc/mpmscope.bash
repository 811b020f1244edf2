# bash completion for mpmscope(1). The options of each command come from
# its own --help, so this file never lags behind the binary.
_mpmscope()
{
	local cur prev words cword cmd opts
	_init_completion || return

	if [ "$cword" -eq 1 ]; then
		COMPREPLY=($(compgen -W "compare run trace serve explain load server scenarios doctor version --help" -- "$cur"))
		return
	fi
	cmd=${words[1]}
	case $prev in
	-m | --mpm)
		COMPREPLY=($(compgen -W "prefork worker event prefork,worker,event" -- "$cur"))
		return
		;;
	-s | --scenario)
		COMPREPLY=($(compgen -W "all $("${words[0]}" scenarios 2>/dev/null | awk '{ print $1 }')" -- "$cur"))
		compopt -o filenames
		COMPREPLY+=($(compgen -f -X '!*.scn' -- "$cur") $(compgen -d -- "$cur"))
		return
		;;
	-C | --comm)
		COMPREPLY=($(compgen -W "apache2 httpd" -- "$cur"))
		return
		;;
	-p | --pid)
		COMPREPLY=($(compgen -W "$(pgrep -d ' ' -x 'apache2|httpd' 2>/dev/null)" -- "$cur"))
		return
		;;
	--sweep)
		COMPREPLY=($(compgen -W "concurrency= rate=" -- "$cur"))
		compopt -o nospace
		return
		;;
	--json | --html | --csv | --btf | --httpd | --cacert)
		_filedir
		return
		;;
	-n | --requests | -c | --concurrency | -d | -t | --duration | -i | --interval | --port | -l | --listen | \
		--threads | --rate | --hold | --ramp | --timeout | --pause)
		return
		;;
	esac
	if [[ $cur == -* ]]; then
		opts=$("${words[0]}" "$cmd" --help 2>/dev/null | grep -oE '(^|[ ,])--?[A-Za-z][-A-Za-z]*' | tr -d ' ,')
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	fi
} &&
	complete -F _mpmscope mpmscope
