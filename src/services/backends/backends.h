// The service types, one function per backend file. Registered in services/catalog.cc.
#pragma once

#include "services/connection.h"

namespace edgegate::services::backends {

// Embedded defaults: no server needed.
const ServiceType& SqliteType();   // sqlite.cc   (database)
const ServiceType& MemoryType();   // memory.cc   (cache, inline calls)
const ServiceType& FilesType();    // files.cc    (storage)
const ServiceType& OutboxType();   // outbox.cc   (email, .eml files)

// Real backends.
const ServiceType& PostgresType();   // postgres.cc  (database, libpq)
const ServiceType& MysqlType();      // mysql.cc     (database, libmariadb)
const ServiceType& RedisType();      // redis.cc     (cache, hiredis)
const ServiceType& MemcachedType();  // memcached.cc (cache, libmemcached)
const ServiceType& S3Type();         // s3.cc        (storage, libcurl SigV4)
const ServiceType& EmailType();      // email.cc     (email over SMTP, libcurl)
const ServiceType& FtpType();        // ftp.cc       (ftp/ftps/sftp, libcurl)

}  // namespace edgegate::services::backends
