# `handtrack serve` and `handtrack worker` (tests/service/): a real server process, real HTTP
# clients, the shared videos, and a PostgreSQL 15 the test starts itself. Included from
# tests/CMakeLists.txt. Exit 77: skipped for want of ../shared (never in CI, where they fail).
if(TARGET handtrack_cli AND HANDTRACK_BUILD_SERVER)
  find_program(HANDTRACK_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT HANDTRACK_SYSTEM_PYTHON)
    set(HANDTRACK_SYSTEM_PYTHON python3)
  endif()
  set(service_dir ${CMAKE_CURRENT_LIST_DIR}/service)
  # The API on SQLite: results equal track's, routes, limits, bad input, live socket, OpenAPI.
  add_test(NAME service_api COMMAND ${HANDTRACK_SYSTEM_PYTHON} ${service_dir}/serve_api_test.py
                                    $<TARGET_FILE:handtrack_cli>)
  # The web app's files at / (static_files.cc): types, isolation headers, no escape; the token rules.
  add_test(NAME service_static COMMAND ${HANDTRACK_SYSTEM_PYTHON} ${service_dir}/serve_static_test.py
                                       $<TARGET_FILE:handtrack_cli>)
  # kill -9 of the server (SQLite), and of the server and workers (PostgreSQL, plus SIGSTOP).
  add_test(NAME service_crash_sqlite COMMAND ${HANDTRACK_SYSTEM_PYTHON} ${service_dir}/serve_crash_test.py
                                             $<TARGET_FILE:handtrack_cli> sqlite)
  add_test(NAME service_crash_postgres COMMAND ${HANDTRACK_SYSTEM_PYTHON} ${service_dir}/serve_crash_test.py
                                               $<TARGET_FILE:handtrack_cli> postgres)
  # Three `handtrack worker` processes and one PostgreSQL: 30 sessions, each once, all workers busy.
  add_test(NAME service_scaleout COMMAND ${HANDTRACK_SYSTEM_PYTHON} ${service_dir}/serve_scaleout_test.py
                                         $<TARGET_FILE:handtrack_cli>)
  set_tests_properties(service_api service_static service_crash_sqlite service_crash_postgres service_scaleout PROPERTIES
                       ENVIRONMENT "${HANDTRACK_TEST_ENV}" SKIP_RETURN_CODE 77 TIMEOUT 900)
  # The crash and scale-out tests kill and stop processes on purpose: alone.
  set_tests_properties(service_crash_sqlite service_crash_postgres service_scaleout PROPERTIES RUN_SERIAL TRUE)
  # The API test is the server's untrusted-input tour: scripts/test.sh reruns it under ASan+UBSan
  # with -j2, where it is the longest test (over 2 minutes): first, beside the others (COST), not
  # last and alone; the crash and scale-out tests exercise processes, not parsers.
  set_tests_properties(service_api service_static PROPERTIES LABELS "service;sanitize")
  set_tests_properties(service_api PROPERTIES COST 1000)
  set_tests_properties(service_crash_sqlite service_crash_postgres service_scaleout PROPERTIES
                       LABELS "service;slow")
endif()
