# Autoconf macros of pg_kmersearch.

# KMERSEARCH_PG_CONFIG
# --------------------
# Find pg_config (--with-pgconfig=FILE, else PG_CONFIG from the environment,
# else pg_config on PATH), require PostgreSQL 15 or later, and read the
# directories the module and its files install into.  --with-pg-pkglibdir and
# --with-pg-sharedir override the install locations (make distcheck uses them).
AC_DEFUN([KMERSEARCH_PG_CONFIG],
[AC_ARG_VAR([PG_CONFIG], [path to the pg_config of the PostgreSQL to build for])
AC_ARG_WITH([pgconfig],
  [AS_HELP_STRING([--with-pgconfig=FILE], [pg_config of the PostgreSQL to build for])],
  [AS_CASE([$withval], [yes|no], [AC_MSG_ERROR([--with-pgconfig needs the path of pg_config])])
   PG_CONFIG=$withval],
  [])
AS_IF([test -z "$PG_CONFIG"], [AC_PATH_PROG([PG_CONFIG], [pg_config])])
AS_IF([test -z "$PG_CONFIG" || test ! -x "$PG_CONFIG"],
  [AC_MSG_ERROR([pg_config not found; install postgresql-server-dev-NN or pass --with-pgconfig=/path/to/pg_config])])
AC_MSG_CHECKING([PostgreSQL version])
PG_VERSION_STR=`"$PG_CONFIG" --version | sed 's/^PostgreSQL //'`
PG_MAJORVERSION=`echo "$PG_VERSION_STR" | sed 's/^\([[0-9]]*\).*/\1/'`
AC_MSG_RESULT([$PG_VERSION_STR])
AS_IF([test -z "$PG_MAJORVERSION" || test "$PG_MAJORVERSION" -lt 15],
  [AC_MSG_ERROR([PostgreSQL 15 or later is required; $PG_CONFIG reports "$PG_VERSION_STR"])])
PG_INCLUDEDIR_SERVER=`"$PG_CONFIG" --includedir-server`
PG_BINDIR=`"$PG_CONFIG" --bindir`
PG_PGXS=`"$PG_CONFIG" --pgxs`
PG_REGRESS=`dirname "$PG_PGXS"`/../test/regress/pg_regress
AS_IF([test ! -f "$PG_INCLUDEDIR_SERVER/postgres.h"],
  [AC_MSG_ERROR([PostgreSQL $PG_MAJORVERSION server headers are missing in $PG_INCLUDEDIR_SERVER; install postgresql-server-dev-$PG_MAJORVERSION])])
# pg_config's own directories: make check installs there under a DESTDIR,
# which is where the test server looks (extension_destdir).
PG_DEFAULT_PKGLIBDIR=`"$PG_CONFIG" --pkglibdir`
PG_DEFAULT_SHAREDIR=`"$PG_CONFIG" --sharedir`
AC_ARG_WITH([pg-pkglibdir],
  [AS_HELP_STRING([--with-pg-pkglibdir=DIR], [install the module here instead of pg_config --pkglibdir])],
  [pg_pkglibdir=$withval], [pg_pkglibdir=$PG_DEFAULT_PKGLIBDIR])
AC_ARG_WITH([pg-sharedir],
  [AS_HELP_STRING([--with-pg-sharedir=DIR], [install extension files under DIR/extension instead of pg_config --sharedir])],
  [pg_sharedir=$withval], [pg_sharedir=$PG_DEFAULT_SHAREDIR])
AC_ARG_WITH([pg-docdir],
  [AS_HELP_STRING([--with-pg-docdir=DIR], [install documentation under DIR/extension instead of pg_config --docdir])],
  [pg_docdir=$withval], [pg_docdir=`"$PG_CONFIG" --docdir`])
AC_SUBST([PG_CONFIG])
AC_SUBST([PG_VERSION_STR])
AC_SUBST([PG_MAJORVERSION])
AC_SUBST([PG_INCLUDEDIR_SERVER])
AC_SUBST([PG_BINDIR])
AC_SUBST([PG_PGXS])
AC_SUBST([PG_REGRESS])
AC_SUBST([PG_DEFAULT_PKGLIBDIR])
AC_SUBST([PG_DEFAULT_SHAREDIR])
AC_SUBST([pg_pkglibdir])
AC_SUBST([pg_sharedir])
AC_SUBST([pg_docdir])
])

# KMERSEARCH_CHECK_CFLAG(FLAG, ACTION-IF-ACCEPTED)
# ------------------------------------------------
# Run ACTION-IF-ACCEPTED when the C compiler accepts FLAG without a warning.
AC_DEFUN([KMERSEARCH_CHECK_CFLAG],
[AS_VAR_PUSHDEF([cache], [kmersearch_cv_cflag_$1])
AC_CACHE_CHECK([whether $CC accepts $1], [cache],
  [save_CFLAGS=$CFLAGS
   CFLAGS="$CFLAGS $1 -Werror"
   AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])], [AS_VAR_SET([cache], [yes])], [AS_VAR_SET([cache], [no])])
   CFLAGS=$save_CFLAGS])
AS_VAR_IF([cache], [yes], [$2])
AS_VAR_POPDEF([cache])])

# KMERSEARCH_CHECK_TARGET(TARGETS, NAME, PROLOGUE, BODY)
# ------------------------------------------------------
# Check that the compiler can emit an instruction set for one function with
# __attribute__((target("TARGETS"))) (no attribute when TARGETS is empty), as
# PostgreSQL's config/c-compiler.m4 probes do.  Sets have_NAME=yes and defines
# HAVE_<NAME>_TARGET in KMERSEARCH_SIMD_CPPFLAGS.  Nothing is assumed about the CPU that will run the code.
AC_DEFUN([KMERSEARCH_CHECK_TARGET],
[AS_VAR_PUSHDEF([cache], [kmersearch_cv_target_$2])
AC_CACHE_CHECK([whether $CC can emit $2 code], [cache],
  [AC_LINK_IFELSE([AC_LANG_PROGRAM([$3
m4_ifval([$1], [__attribute__((target("$1")))])
static int probe(int argc) { $4 }], [volatile int n = 1; return probe(n);])],
     [AS_VAR_SET([cache], [yes])], [AS_VAR_SET([cache], [no])])])
AS_VAR_IF([cache], [yes],
  [have_$2=yes
   KMERSEARCH_SIMD_CPPFLAGS="$KMERSEARCH_SIMD_CPPFLAGS -D[]AS_TR_CPP([HAVE_$2_TARGET])"])
AS_VAR_POPDEF([cache])])
