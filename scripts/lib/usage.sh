# Sourced by the shell scripts in scripts/: their header comment is their
# help.  `usage_if_asked "$0" "$@"` prints it (the comment lines after the
# shebang, without the leading '# ') and exits 0 when any argument is -h or
# --help, before the script starts its job.
usage_if_asked() {
  local self=$1 arg
  shift
  for arg in "$@"; do
    case $arg in
      -h|--help)
        sed -n '2,/^[^#]/{/^#!/d;/^#SBATCH/d;/^#/{s/^# \{0,1\}//;p}}' "$self"
        exit 0 ;;
    esac
  done
}
